// `user show --stripe`: a user's Stripe purchases beside the local record, and the differences.
#include "quicktools/stripe/user_view.hpp"

#include "quicktools/db/statement.hpp"
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "quicktools/credits/ledger.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/stripe/list.hpp"

namespace quicktools::stripe {
namespace {

nlohmann::json view_column(db::Statement& q, const char* name) {
    const auto c = q.column(name);
    if (c.is_null()) return nullptr;
    if (c.type() == db::ColumnType::integer) return c.int64();
    return c.text();
}

std::string view_string(const nlohmann::json& object, const char* name) {
    const auto it = object.find(name);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

nlohmann::json view_field(const nlohmann::json& object, const char* name) {
    const auto it = object.find(name);
    return it != object.end() ? *it : nlohmann::json();
}

// Refund statuses that take credits back (as the refund rules count them).
bool view_refund_counts(const std::string& status) {
    return status == "succeeded" || status == "pending" || status == "requires_action";
}

std::string view_money(const nlohmann::json& amount, const std::string& currency) {
    if (!amount.is_number_integer()) return "an unknown amount";
    return fmt::format("{} {}", amount.get<std::int64_t>(), currency.empty() ? "?" : currency);
}

// GET of one object; nullopt when Stripe has no such object (resource_missing / 404).
std::optional<nlohmann::json> view_get(StripeClient& client, const std::string& path) {
    try {
        return client.get(path).body;
    } catch (const ApiError& e) {
        if (e.status == 404 || e.error_code == "resource_missing") return std::nullopt;
        throw;
    }
}

struct LocalRow {
    nlohmann::json json;  // as the view shows it
    std::map<std::string, nlohmann::json> refunds;
    std::map<std::string, nlohmann::json> disputes;
};

}  // namespace

UserStripeView user_stripe_view(db::Database& db, StripeClient& client, std::int64_t user_id,
                                const std::string& email) {
    credits::require_tool_tables(db);
    UserStripeView view;
    {
        db::Statement q(db, sql::query(db.engine(), "user_stripe", "customer"));
        q.bind(1, user_id);
        if (q.step()) view.customer_id = q.column("stripe_customer_id").text();  // "" when NULL
    }
    // What this database recorded.
    std::map<std::string, LocalRow> local;
    std::vector<std::string> created;
    {
        db::Statement q(db, sql::query(db.engine(), "user_stripe", "sessions"));
        q.bind(1, user_id);
        while (q.step()) {
            LocalRow row;
            for (const char* name :
                 {"pack", "credits", "amount_total", "currency", "amount_subtotal", "amount_discount", "amount_tax",
                  "payment_intent", "credited_by", "credited_at", "refunded_credits", "clawed_credits"})
                row.json[name] = view_column(q, name);
            local[q.column("session_id").text()] = std::move(row);
        }
        for (auto& [id, row] : local) {
            db::Statement r(db, sql::query(db.engine(), "user_stripe", "refunds"));
            r.bind(1, id);
            while (r.step())
                row.refunds[r.column("refund_id").text()] = {{"amount", r.column("amount").int64()},
                                                             {"status", r.column("status").text()}};
            db::Statement d(db, sql::query(db.engine(), "user_stripe", "disputes"));
            d.bind(1, id);
            while (d.step())
                row.disputes[d.column("dispute_id").text()] = {
                    {"amount", view_column(d, "amount")},
                    {"status", d.column("status").text()},
                    {"funds_withdrawn", d.column("funds_withdrawn").int32() != 0},
                    {"funds_reinstated", d.column("funds_reinstated").int32() != 0}};
        }
        db::Statement c(db, sql::query(db.engine(), "user_stripe", "created"));
        c.bind(1, user_id);
        while (c.step()) created.push_back(c.column("session_id").text());
    }

    // What Stripe has: the customer, and the sessions listed for it and for the email.
    std::vector<nlohmann::json> sessions;
    std::map<std::string, std::size_t> index;
    const auto keep = [&](const nlohmann::json& s) {
        const auto id = view_string(s, "id");
        if (id.empty() || index.count(id) != 0) return;
        index[id] = sessions.size();
        sessions.push_back(s);
    };
    if (!view.customer_id.empty()) {
        const auto customer = view_get(client, "/v1/customers/" + view.customer_id);
        if (!customer) {
            view.customer = {{"id", view.customer_id}, {"found", false}};
            view.differences.push_back(
                fmt::format("users.stripe_customer_id is {}, but Stripe has no such customer in this account and mode",
                            view.customer_id));
        } else {
            const bool deleted = customer->value("deleted", false);
            view.customer = {{"id", view.customer_id},
                             {"found", true},
                             {"deleted", deleted},
                             {"email", view_field(*customer, "email")},
                             {"name", view_field(*customer, "name")}};
            if (deleted) view.differences.push_back(fmt::format("customer {} is deleted at Stripe", view.customer_id));
            for (const auto& s : list_all(client, "/v1/checkout/sessions", {{"customer", view.customer_id}})) keep(s);
        }
    }
    if (!email.empty())
        for (const auto& s : list_all(client, "/v1/checkout/sessions", {{"customer_details", {{"email", email}}}}))
            keep(s);
    std::vector<std::string> missing;
    std::vector<std::string> wanted;
    for (const auto& [id, row] : local) wanted.push_back(id);
    wanted.insert(wanted.end(), created.begin(), created.end());
    for (const auto& id : wanted) {
        if (index.count(id) != 0 || std::find(missing.begin(), missing.end(), id) != missing.end()) continue;
        if (const auto s = view_get(client, "/v1/checkout/sessions/" + id))
            keep(*s);
        else
            missing.push_back(id);
    }
    std::stable_sort(sessions.begin(), sessions.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
        return a.value("created", std::int64_t{0}) > b.value("created", std::int64_t{0});
    });

    for (const auto& s : sessions) {
        const std::string id = view_string(s, "id");
        const std::string status = view_string(s, "status");
        const std::string payment_status = view_string(s, "payment_status");
        const std::string mode = view_string(s, "mode");
        const std::string currency = view_string(s, "currency");
        const bool paid = status == "complete" && (payment_status == "paid" || payment_status == "no_payment_required");
        const nlohmann::json totals = s.contains("total_details") && s["total_details"].is_object()
                                          ? s["total_details"]
                                          : nlohmann::json::object();
        const nlohmann::json metadata =
            s.contains("metadata") && s["metadata"].is_object() ? s["metadata"] : nlohmann::json::object();
        nlohmann::json p = {{"session_id", id},
                            {"found_at_stripe", true},
                            {"status", status},
                            {"payment_status", payment_status},
                            {"mode", mode},
                            {"created", view_field(s, "created")},
                            {"pack", view_field(metadata, "pack")},
                            {"currency", currency},
                            {"amount_subtotal", view_field(s, "amount_subtotal")},
                            {"amount_discount", view_field(totals, "amount_discount")},
                            {"amount_tax", view_field(totals, "amount_tax")},
                            {"amount_total", view_field(s, "amount_total")},
                            {"payment_intent", view_field(s, "payment_intent")},
                            {"local", nullptr},
                            {"refunds", nlohmann::json::array()},
                            {"disputes", nlohmann::json::array()}};
        const auto mine = local.find(id);
        if (mine != local.end()) p["local"] = mine->second.json;
        const std::string money = view_money(s.value("amount_total", nlohmann::json()), currency);
        if (mine == local.end() && paid && mode == "payment") {
            db::Statement owner(db, sql::query(db.engine(), "user_stripe", "session_owner"));
            owner.bind(1, id);
            if (owner.step())
                view.differences.push_back(fmt::format("session {} ({} paid) was credited to user {}, not to this user",
                                                       id, money, owner.column("user_id").int64()));
            else
                view.differences.push_back(fmt::format(
                    "session {}: paid at Stripe ({}) but not credited here; `quicktools stripe sync` (events of the "
                    "last 30 days) or `quicktools stripe reconcile` credits it",
                    id, money));
        }
        if (mine != local.end() && !paid)
            view.differences.push_back(
                fmt::format("session {} is credited here, but at Stripe it is {} and {}", id, status, payment_status));
        if (mine != local.end() && mine->second.json["amount_total"].is_number_integer() &&
            s.contains("amount_total") && s["amount_total"].is_number_integer() &&
            mine->second.json["amount_total"] != s["amount_total"])
            view.differences.push_back(fmt::format("session {}: amount_total {} here, {} at Stripe", id,
                                                   mine->second.json["amount_total"].get<std::int64_t>(),
                                                   s["amount_total"].get<std::int64_t>()));
        // Refunds and disputes of the payment, against the ones recorded for the session.
        const std::string pi = view_string(s, "payment_intent");
        std::map<std::string, nlohmann::json> local_refunds;
        std::map<std::string, nlohmann::json> local_disputes;
        if (mine != local.end()) {
            local_refunds = mine->second.refunds;
            local_disputes = mine->second.disputes;
        }
        if (!pi.empty() && paid) {
            for (const auto& r : list_all(client, "/v1/refunds", {{"payment_intent", pi}})) {
                const std::string rid = view_string(r, "id");
                const std::string rstatus = view_string(r, "status");
                const auto here = local_refunds.find(rid);
                const nlohmann::json local_status =
                    here != local_refunds.end() ? here->second["status"] : nlohmann::json();
                p["refunds"].push_back({{"id", rid},
                                        {"amount", view_field(r, "amount")},
                                        {"status", rstatus},
                                        {"reason", view_field(r, "reason")},
                                        {"created", view_field(r, "created")},
                                        {"local_status", local_status}});
                const std::string amount = view_money(r.value("amount", nlohmann::json()), currency);
                if (here == local_refunds.end()) {
                    if (view_refund_counts(rstatus))
                        view.differences.push_back(fmt::format(
                            "refund {} of session {} ({}, {}) at Stripe is not reflected here: its credits were not "
                            "taken back",
                            rid, id, amount, rstatus));
                } else {
                    const std::string was = local_status.get<std::string>();
                    if (view_refund_counts(was) != view_refund_counts(rstatus))
                        view.differences.push_back(
                            fmt::format("refund {} of session {}: {} here, {} at Stripe", rid, id, was, rstatus));
                    local_refunds.erase(here);
                }
            }
            for (const auto& d : list_all(client, "/v1/disputes", {{"payment_intent", pi}})) {
                const std::string did = view_string(d, "id");
                const std::string dstatus = view_string(d, "status");
                const auto here = local_disputes.find(did);
                const nlohmann::json local_status =
                    here != local_disputes.end() ? here->second["status"] : nlohmann::json();
                p["disputes"].push_back({{"id", did},
                                         {"amount", view_field(d, "amount")},
                                         {"status", dstatus},
                                         {"reason", view_field(d, "reason")},
                                         {"created", view_field(d, "created")},
                                         {"local_status", local_status}});
                if (here == local_disputes.end())
                    view.differences.push_back(
                        fmt::format("dispute {} of session {} ({}, {}) at Stripe is not "
                                    "reflected here",
                                    did, id, view_money(d.value("amount", nlohmann::json()), currency), dstatus));
                else {
                    if (local_status != dstatus)
                        view.differences.push_back(fmt::format("dispute {} of session {}: {} here, {} at Stripe", did,
                                                               id, local_status.get<std::string>(), dstatus));
                    local_disputes.erase(here);
                }
            }
            for (const auto& [rid, r] : local_refunds)
                view.differences.push_back(fmt::format(
                    "refund {} recorded here for session {} is not among Stripe's refunds of {}", rid, id, pi));
            for (const auto& [did, d] : local_disputes)
                view.differences.push_back(fmt::format(
                    "dispute {} recorded here for session {} is not among Stripe's disputes of {}", did, id, pi));
        }
        view.purchases.push_back(std::move(p));
    }
    for (const auto& id : missing) {
        const auto mine = local.find(id);
        view.purchases.push_back({{"session_id", id},
                                  {"found_at_stripe", false},
                                  {"local", mine != local.end() ? mine->second.json : nlohmann::json()},
                                  {"refunds", nlohmann::json::array()},
                                  {"disputes", nlohmann::json::array()}});
        if (mine != local.end())
            view.differences.push_back(fmt::format(
                "session {} is credited here ({} credits), but Stripe has no such session in this account and mode", id,
                mine->second.json["credits"].dump()));
    }
    return view;
}

}  // namespace quicktools::stripe
