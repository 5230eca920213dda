// `credits refund-purchase`: refund at Stripe, then record the refund as a refund event would,
// so the rules of src/stripe/apply_lifecycle.cpp take the credits back (once, by refund id).
#include "quicktools/stripe/refund_purchase.hpp"

#include "quicktools/db/statement.hpp"
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <limits>

#include "quicktools/credits/ledger.hpp"
#include "quicktools/credits/packs.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/stripe/event_reader.hpp"
#include "quicktools/util/crypto.hpp"

namespace quicktools::stripe {
namespace refunding {

// Metadata values are at most 500 characters at Stripe.
constexpr std::size_t max_reason = 500;

Purchase read_purchase(db::Statement& q) {
    Purchase p;
    p.session_id = q.column("session_id").text();
    p.payment_intent = q.column("payment_intent").text();  // "" when NULL
    p.user_id = q.column("user_id").int64();
    p.pack = q.column("pack").text();
    p.credits = q.column("credits").int64();
    if (!q.column("amount_total").is_null()) p.paid = q.column("amount_total").int64();
    if (p.paid <= 0)
        if (const auto* pack = credits::find_pack(p.pack)) p.paid = pack->price_cents;
    p.currency = q.column("currency").text();  // "" when NULL
    if (p.currency.empty()) p.currency = std::string(credits::currency);
    p.owed = q.column("refunded_credits").int64();
    p.refunded = q.column("charge_refunded_amount").int64();  // as of charge_refunded_at, below
    return p;
}

// The refund event for a refund object: what the replay would read from Stripe.
nlohmann::json refund_event(const std::string& id, const nlohmann::json& refund, std::int64_t created, bool live) {
    return {{"id", id},
            {"object", "event"},
            {"type", "refund.created"},
            {"created", created},
            {"livemode", live},
            {"api_version", std::string(pinned_api_version)},
            {"data", {{"object", refund}}}};
}

}  // namespace refunding

std::string format_money(std::int64_t cents, std::string_view currency) {
    std::string code(currency);
    for (auto& c : code) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const auto magnitude = cents < 0 ? -cents : cents;
    return fmt::format("{}{}.{:02d} {}", cents < 0 ? "-" : "", magnitude / 100, magnitude % 100, code);
}

Purchase find_purchase(db::Database& db, const std::string& target) {
    const bool by_intent = target.rfind("pi_", 0) == 0;
    db::Statement q(
        db, sql::query(db.engine(), "reconcile", by_intent ? "purchase_by_payment_intent" : "purchase_by_session"));
    q.bind(1, target);
    if (!q.step())
        throw usage_error(
            fmt::format("no credited Checkout Session has {} {} in this database (refund a purchase "
                        "by its cs_ session id or pi_ payment intent; `quicktools stripe reconcile` "
                        "credits paid sessions that were missed)",
                        by_intent ? "payment intent" : "id", target));
    auto p = refunding::read_purchase(q);
    const bool at_charge = !q.column("charge_refunded_at").is_null();
    const auto charge_at = at_charge ? q.column("charge_refunded_at").int64() : 0;
    if (q.step())
        throw usage_error(
            fmt::format("several credited Checkout Sessions have payment intent {}: name the session "
                        "(cs_...)",
                        target));
    q.reset();
    db::Statement r(db, sql::query(db.engine(), "reconcile", "purchase_refunded"));
    r.bind(1, p.session_id);
    r.bind(2, at_charge ? charge_at : std::numeric_limits<std::int64_t>::max());
    r.step();
    const auto active = r.column("active").int64();
    const auto failed_since_charge = r.column("failed_since").int64();
    p.refunded = std::max(active, at_charge ? p.refunded - failed_since_charge : 0);
    db::Statement b(db, sql::query(db.engine(), "reconcile", "user_balance"));
    b.bind(1, p.user_id);
    if (b.step()) p.balance = b.column("credits_balance").int64();
    return p;
}

std::string refund_idempotency_key(const std::string& session_id, std::int64_t amount, const std::string& reason) {
    const auto digest = util::sha256_hex(fmt::format("{}\n{}\n{}", session_id, amount, reason));
    return "quicktools-refund-" + digest.substr(0, 40);
}

RefundPurchaseResult refund_purchase(db::Database& db, StripeClient& client, const RefundPurchaseRequest& req) {
    credits::require_tool_tables(db);
    if (req.reason.empty() || req.reason.size() > refunding::max_reason)
        throw usage_error(
            fmt::format("--reason must say why, in 1 to {} characters (it goes into the refund's "
                        "metadata and the ledger)",
                        refunding::max_reason));
    RefundPurchaseResult result;
    result.dry_run = req.dry_run == DryRun::yes;
    result.purchase = find_purchase(db, req.target);
    const auto& p = result.purchase;
    if (p.payment_intent.empty())
        throw refusal(
            fmt::format("checkout session {} has no payment intent recorded, so there is nothing to refund "
                        "through the API; refund it in the Dashboard, its events then take the credits back",
                        p.session_id));
    const auto left = p.refundable();
    if (left <= 0)
        throw refusal(fmt::format("checkout session {} ({} pack, user {}) is refunded in full already ({} of {})",
                                  p.session_id, p.pack, p.user_id, format_money(p.refunded, p.currency),
                                  format_money(p.paid, p.currency)));
    result.amount = req.amount.value_or(left);
    if (result.amount <= 0 || result.amount > left)
        throw usage_error(
            fmt::format("--amount must be 1 to {} cents: session {} was paid {} and {} is refunded "
                        "already",
                        left, p.session_id, format_money(p.paid, p.currency), format_money(p.refunded, p.currency)));
    result.idempotency_key = refund_idempotency_key(p.session_id, result.amount, req.reason);
    const bool live = req.replay.livemode == Livemode::live;
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    auto options = req.replay;
    options.note = "reason: " + req.reason;

    // What the refund will take back, by the very rules that will take it: applied to a
    // stand-in refund in a transaction that is rolled back.
    {
        db::WriteTransaction preview(db);
        const nlohmann::json refund = {{"id", "re_quicktools_preview"}, {"object", "refund"},
                                       {"amount", result.amount},       {"payment_intent", p.payment_intent},
                                       {"status", "succeeded"},         {"created", now}};
        MemoryEventSource source(
            "the refund to make",
            {refunding::refund_event("quicktools:refund-purchase:preview", refund, now, live).dump()});
        const auto r = apply_events(db, source, options);
        result.credits_to_take = r.credits_clawed_back + r.credits_shortfall;
        result.shortfall = r.credits_shortfall;
    }
    if (result.shortfall > 0 && !req.allow_shortfall)
        throw refusal(fmt::format(
            "refunding {} of session {} takes back {} credits, but user {} has {} left ({} already spent): nothing "
            "was refunded; refund anyway with --allow-shortfall (the shortfall is recorded in the ledger)",
            format_money(result.amount, p.currency), p.session_id, result.credits_to_take, p.user_id, p.balance,
            result.shortfall));
    if (result.dry_run) return result;

    const nlohmann::json params = {{"payment_intent", p.payment_intent},
                                   {"amount", result.amount},
                                   {"metadata",
                                    {{"user_id", std::to_string(p.user_id)},
                                     {"pack", p.pack},
                                     {"session", p.session_id},
                                     {"actor", req.replay.actor},
                                     {"reason", req.reason}}}};
    ApiResponse answer;
    try {
        answer = client.post("/v1/refunds", params, result.idempotency_key);
    } catch (const ApiError& e) {
        if (e.status < 400 || e.status >= 500 || e.status == 409 || e.status == 429) throw;
        if (e.type == "idempotency_error")
            throw Error(e.code(), fmt::format("this refund (session {}, {}, the same reason) was requested before by "
                                              "someone else or with other details: nothing was refunded again; see "
                                              "`quicktools credits history {}` (Stripe: {})",
                                              p.session_id, format_money(result.amount, p.currency), p.user_id,
                                              e.stripe_message));
        // Stripe refused the request itself: no refund was made.
        throw Error(e.code(), fmt::format("{}; nothing was refunded (a refund made elsewhere, in the Dashboard, is "
                                          "taken back by `quicktools stripe sync` or `quicktools stripe reconcile`)",
                                          e.what()));
    }
    auto refund = answer.body;
    if (!refund.is_object() || !refund.contains("id") || !refund["id"].is_string() ||
        refund["id"].get<std::string>().empty())
        throw Error(
            fmt::format("Stripe's answer to POST /v1/refunds has no refund id (request {}); check the "
                        "Dashboard, then run `quicktools stripe reconcile`",
                        answer.request_id));
    result.refund_id = refund["id"].get<std::string>();
    if (refund.contains("status") && refund["status"].is_string())
        result.refund_status = refund["status"].get<std::string>();
    if (!refund.contains("payment_intent") || !refund["payment_intent"].is_string())
        refund["payment_intent"] = p.payment_intent;
    const auto created = refund.contains("created") && refund["created"].is_number_integer()
                             ? refund["created"].get<std::int64_t>()
                             : now;

    // Stripe has refunded: once recorded, the commit goes through even if Ctrl-C came. A failure
    // before that (a signal during the write, a locked database) names the refund: the same
    // command again gets it back from Stripe and records it.
    try {
        db::WriteTransaction tx(db);
        MemoryEventSource source(
            "the refund Stripe made",
            {refunding::refund_event("quicktools:refund-purchase:" + result.refund_id, refund, created, live).dump()});
        result.applied = apply_events(db, source, options);
        if (req.bind) record_account_binding(db, *req.bind);
        tx.commit(db::WriteTransaction::OnSignal::commit);
    } catch (const Error& e) {
        throw Error(e.code(), fmt::format("Stripe made refund {} ({}), but recording it failed: {}; run the same "
                                          "command again (it gets the same refund back) or `quicktools stripe "
                                          "reconcile`",
                                          result.refund_id, format_money(result.amount, p.currency), e.what()));
    } catch (const std::exception& e) {  // the engine's failure, as a sentence
        const Error error = db::translate(e, db.path(), db.busy_timeout_ms());
        throw Error(error.code(), fmt::format("Stripe made refund {} ({}), but recording it failed: {}; run the same "
                                              "command again (it gets the same refund back) or `quicktools stripe "
                                              "reconcile`",
                                              result.refund_id, format_money(result.amount, p.currency), error.what()));
    }
    return result;
}

}  // namespace quicktools::stripe
