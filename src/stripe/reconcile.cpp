// `stripe reconcile`: list what Stripe knows of a window, then make the database agree in one
// transaction. Listed objects the database lacks become events for apply_events, so they are
// applied by the replay's rules, once, and a later replay of the real event is a duplicate.
#include "quicktools/stripe/reconcile.hpp"

#include "quicktools/db/statement.hpp"
#include <fmt/format.h>

#include <unordered_set>

#include "quicktools/credits/ledger.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/stripe/event_reader.hpp"
#include "quicktools/stripe/form.hpp"
#include "quicktools/util/interrupt.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::stripe {
namespace reconciling {

std::string text_field(const nlohmann::json& o, const char* key) {
    if (!o.is_object() || !o.contains(key) || !o[key].is_string()) return {};
    return o[key].get<std::string>();
}

std::int64_t int_field(const nlohmann::json& o, const char* key, std::int64_t fallback = 0) {
    if (!o.is_object() || !o.contains(key) || !o[key].is_number_integer()) return fallback;
    return o[key].get<std::int64_t>();
}

std::size_t dispute_transactions(const nlohmann::json& d) {
    if (!d.contains("balance_transactions") || !d["balance_transactions"].is_array()) return 0;
    return d["balance_transactions"].size();
}

bool dispute_inquiry(const std::string& status) { return status.rfind("warning_", 0) == 0; }

}  // namespace reconciling

using reconciling::int_field;
using reconciling::text_field;

bool refund_reflected(const std::optional<RecordedRefund>& recorded, const nlohmann::json& refund) {
    return recorded && recorded->amount == int_field(refund, "amount", -1) &&
           recorded->status == text_field(refund, "status");
}

bool dispute_reflected(const std::optional<RecordedDispute>& recorded, const nlohmann::json& dispute) {
    if (!recorded) return false;
    const auto status = text_field(dispute, "status");
    const bool money = !reconciling::dispute_inquiry(status);
    const auto moves = reconciling::dispute_transactions(dispute);
    return recorded->status == status && recorded->funds_withdrawn == (money && moves >= 1) &&
           recorded->funds_reinstated == (money && moves >= 2);
}

nlohmann::json reconcile_event(const nlohmann::json& object, std::int64_t now, bool livemode) {
    const auto kind = text_field(object, "object");
    const auto id = text_field(object, "id");
    std::string type, event_id = std::string(reconcile_event_prefix) + id;
    std::int64_t created = now;
    if (kind == "checkout.session") {
        type = "checkout.session.completed";
        created = int_field(object, "created", now);
    } else if (kind == "refund") {
        type = "refund.updated";
        event_id += fmt::format(":{}:{}", text_field(object, "status"), int_field(object, "amount"));
    } else if (kind == "dispute") {
        type = "charge.dispute.updated";
        event_id += fmt::format(":{}:{}", text_field(object, "status"), reconciling::dispute_transactions(object));
    } else {
        throw std::logic_error("reconcile_event: not a checkout session, refund or dispute");
    }
    if (object.contains("livemode") && object["livemode"].is_boolean()) livemode = object["livemode"].get<bool>();
    return {{"id", event_id},
            {"object", "event"},
            {"type", type},
            {"created", created},
            {"livemode", livemode},
            {"api_version", std::string(pinned_api_version)},
            {"data", {{"object", object}}}};
}

namespace reconciling {

// The fields of each listed object that the replay's rules read (src/stripe/event.cpp).
const std::vector<std::string_view> session_fields = {"id",
                                                      "object",
                                                      "created",
                                                      "livemode",
                                                      "mode",
                                                      "status",
                                                      "payment_status",
                                                      "currency",
                                                      "client_reference_id",
                                                      "payment_intent",
                                                      "amount_total",
                                                      "amount_subtotal",
                                                      "customer",
                                                      "total_details",
                                                      "customer_details",
                                                      "customer_email",
                                                      "metadata"};
const std::vector<std::string_view> refund_fields = {"id",       "object", "amount",         "status",
                                                     "currency", "charge", "payment_intent", "created"};
const std::vector<std::string_view> dispute_fields = {"id",
                                                      "object",
                                                      "amount",
                                                      "status",
                                                      "reason",
                                                      "charge",
                                                      "payment_intent",
                                                      "currency",
                                                      "created",
                                                      "livemode",
                                                      "balance_transactions"};

// The stored events needing attention, less those of `skip` (by event id).
class StoredExcept : public EventSource {
public:
    StoredExcept(std::unique_ptr<EventSource> inner, std::unordered_set<std::string> skip)
        : m_inner(std::move(inner)), m_skip(std::move(skip)) {}
    bool next(RawEvent& event) override {
        while (m_inner->next(event)) {
            const auto parsed = nlohmann::json::parse(event.text, nullptr, false);
            if (!parsed.is_object() || m_skip.count(text_field(parsed, "id")) == 0) return true;
        }
        return false;
    }
    const std::string& name() const override { return m_inner->name(); }

private:
    std::unique_ptr<EventSource> m_inner;
    std::unordered_set<std::string> m_skip;
};

// The sessions the database credited in the window that Stripe did not list as completed in
// it, each asked for by id: created before the window (fine when paid), or unknown or unpaid
// at Stripe (a person must look).
void check_unlisted(db::Database& db, StripeClient& client, std::int64_t since,
                    const std::unordered_set<std::string>& listed, ReconcileResult& result) {
    struct Local {
        std::string id;
        std::int64_t user_id;
        std::string pack;
    };
    std::vector<Local> locals;
    {
        db::Statement q(db, sql::query(db.engine(), "reconcile", "sessions_credited_since"));
        q.bind(1, util::timestamp_from_unix(since));
        while (q.step()) {
            Local l{q.column("session_id").text(), q.column("user_id").int64(), q.column("pack").text()};
            if (listed.count(l.id) == 0) locals.push_back(std::move(l));
        }
    }
    for (const auto& l : locals) {
        util::throw_if_interrupted();
        ++result.local_checked;
        std::string why;
        try {
            const auto answer = client.get("/v1/checkout/sessions/" + percent_encode(l.id));
            const auto status = text_field(answer.body, "status");
            const auto paid = text_field(answer.body, "payment_status");
            if (status == "complete" && paid == "paid") {
                ++result.in_sync;
                continue;
            }
            why = fmt::format(
                "credited here, but Stripe says the session is {} and {}: not paid; take the "
                "credits back with `quicktools credits debit` if it never was",
                status.empty() ? "(no status)" : status, paid.empty() ? "(no payment_status)" : paid);
        } catch (const ApiError& e) {
            if (e.status != 404 && e.error_code != "resource_missing") throw;
            why =
                "credited here, but Stripe has no such Checkout Session in this account and mode: credited by "
                "mistake, or by another account's key?";
        }
        result.unconfirmed.push_back({l.id, l.user_id, l.pack, why});
    }
}

}  // namespace reconciling

ReconcileResult reconcile(db::Database& db, StripeClient& client, const ReconcileOptions& o) {
    credits::require_tool_tables(db);
    ReconcileResult result;
    result.dry_run = o.dry_run == DryRun::yes;
    result.since = o.now - o.since_seconds;
    const nlohmann::json window = {{"gte", result.since}};

    // Everything is listed before anything is written: a failure part-way changes nothing.
    const auto listing = [&](std::string_view path, nlohmann::json params, const std::vector<std::string_view>& keep) {
        auto options = o.list;
        options.keep = keep;
        try {
            return list_all(client, path, std::move(params), options, result.pages);
        } catch (const Error& e) {
            if (e.code() == ExitCode::interrupted) throw;
            throw Error(e.code(), fmt::format("{}; nothing was applied", e.what()));
        }
    };
    auto sessions =
        listing("/v1/checkout/sessions", {{"created", window}, {"status", "complete"}}, reconciling::session_fields);
    auto refunds = listing("/v1/refunds", {{"created", window}}, reconciling::refund_fields);
    auto disputes = listing("/v1/disputes", {{"created", window}}, reconciling::dispute_fields);
    result.sessions_listed = static_cast<std::int64_t>(sessions.size());
    result.refunds_listed = static_cast<std::int64_t>(refunds.size());
    result.disputes_listed = static_cast<std::int64_t>(disputes.size());
    std::unordered_set<std::string> listed;
    for (const auto& s : sessions) listed.insert(s["id"].get<std::string>());
    reconciling::check_unlisted(db, client, result.since, listed, result);

    db::WriteTransaction tx(db);  // a dry run never commits: the destructor rolls back
    const bool live = o.replay.livemode == Livemode::live;
    std::vector<std::string> texts;
    std::unordered_set<std::string> made;  // the ids of the events made for this run
    const auto make = [&](const nlohmann::json& object) {
        const auto event = reconcile_event(object, o.now, live);
        made.insert(event["id"].get<std::string>());
        texts.push_back(event.dump());
    };
    {
        db::Statement recorded(db, sql::query(db.engine(), "reconcile", "session_recorded"));
        // Oldest first, as the events would have come.
        for (auto it = sessions.rbegin(); it != sessions.rend(); ++it) {
            const auto& s = *it;
            if (text_field(s, "mode") != "payment") continue;  // a subscription or setup: not a pack
            recorded.reset();
            recorded.bind(1, s["id"].get<std::string>());
            if (recorded.step()) {
                ++result.in_sync;
                continue;
            }
            if (text_field(s, "payment_status") == "unpaid") {
                ++result.unpaid;  // its async_payment_succeeded credits it
                continue;
            }
            make(s);
        }
    }
    {
        db::Statement q(db, sql::query(db.engine(), "reconcile", "refund_get"));
        for (auto it = refunds.rbegin(); it != refunds.rend(); ++it) {
            q.reset();
            q.bind(1, (*it)["id"].get<std::string>());
            std::optional<RecordedRefund> r;
            if (q.step()) r = RecordedRefund{q.column("amount").int64(), q.column("status").text()};
            if (refund_reflected(r, *it))
                ++result.in_sync;
            else
                make(*it);
        }
    }
    {
        db::Statement q(db, sql::query(db.engine(), "reconcile", "dispute_get"));
        for (auto it = disputes.rbegin(); it != disputes.rend(); ++it) {
            q.reset();
            q.bind(1, (*it)["id"].get<std::string>());
            std::optional<RecordedDispute> d;
            if (q.step())
                d = RecordedDispute{q.column("status").text(), q.column("funds_withdrawn").int32() != 0,
                                    q.column("funds_reinstated").int32() != 0};
            if (dispute_reflected(d, *it))
                ++result.in_sync;
            else
                make(*it);
        }
    }
    MemoryEventSource source("the objects listed by Stripe", std::move(texts));
    result.applied = apply_events(db, source, o.replay);
    // A purchase credited now may be what a stored refund or dispute was waiting for (the
    // events made by this run were just tried).
    if (result.applied.count(Outcome::credited) > 0) {
        reconciling::StoredExcept stored(stored_needing_attention(db), std::move(made));
        result.applied.add(apply_events(db, stored, o.replay));
    }
    if (result.dry_run) return result;
    if (o.bind) record_account_binding(db, *o.bind);
    tx.commit();
    return result;
}

}  // namespace quicktools::stripe
