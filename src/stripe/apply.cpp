// What each event type does to the database. The rules are in README.md, "Stripe events".
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <iterator>
#include <unordered_map>
#include <vector>

#include "applier.hpp"
#include "quicktools/credits/packs.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::stripe::detail {
namespace {

db::Statement prepare(db::Database& db, std::string_view name) {
    return db::Statement(db, sql::query(db.engine(), "stripe", name));
}

// Purchases kept in memory before they are written sorted, in one statement (about 300 bytes
// each with the statement's JSON and its result: 2.5 MB).
constexpr std::size_t purchases_per_flush = 8'192;
// One user's purchases in a flush add up to a whole number in the 64-bit range.
constexpr bool flush_sums_fit() {
    for (const auto& pack : credits::packs)
        if (pack.credits <= 0 ||
            pack.credits > std::numeric_limits<std::int64_t>::max() / static_cast<std::int64_t>(purchases_per_flush))
            return false;
    return true;
}
static_assert(flush_sums_fit(), "a pack's credits times purchases_per_flush must fit in 64 bits");
// Id lookups after which the ids of all users are loaded as a bitmap (8 MB at most).
constexpr int lookups_before_bitmap = 2'000;
constexpr std::int64_t max_bitmap_id = 64'000'000;

// Stripe began in 2010; an event dated before it, or more than a day ahead of this machine's
// clock, is a forgery or a broken clock, and its date must not become a purchase date.
constexpr std::int64_t earliest_created = 1'262'304'000;  // 2010-01-01 00:00:00 UTC
constexpr std::int64_t latest_ahead = 86'400;

std::optional<std::string> created_out_of_range(std::int64_t created, std::int64_t now) {
    if (created >= earliest_created && created <= now + latest_ahead) return std::nullopt;
    // Only dates in years 1 to 9999 are converted for the message; the check itself needs none.
    const bool showable = created > -62'135'596'800 && created < 253'402'300'800;
    return fmt::format("created {}{} is {}: the event is not applied", created,
                       showable ? " (" + util::timestamp_from_unix(created).substr(0, 19) + " UTC)" : "",
                       created < earliest_created ? "before 2010, when Stripe began"
                                                  : "more than a day ahead of this machine's clock");
}

}  // namespace

Applier::Applier(db::Database& db, const ReplayOptions& options, std::string now)
    : m_db(db),
      m_options(options),
      m_now(std::move(now)),
      m_now_unix(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                     .count()),
      m_event_get(prepare(db, "event_get")),
      m_event_insert(prepare(db, "event_insert")),
      m_event_update(prepare(db, "event_update")),
      m_session_credited_by(prepare(db, "session_credited_by")),
      m_session_insert(prepare(db, "session_insert")),
      m_sessions_by_pi(prepare(db, "sessions_by_payment_intent")),
      m_session_set_taken(prepare(db, "session_set_taken")),
      m_session_set_charge_refunded(prepare(db, "session_set_charge_refunded")),
      m_refund_upsert(prepare(db, "refund_upsert")),
      m_session_refunds(prepare(db, "session_refunds")),
      m_dispute_upsert(prepare(db, "dispute_upsert")),
      m_disputes_holding(prepare(db, "session_disputes_holding")),
      m_dispute_get(prepare(db, "dispute_get")),
      m_user_other_sessions(prepare(db, "user_other_sessions")),
      m_migrated_api(prepare(db, "migrated_api_access")),
      m_users(db),
      m_user_credits(prepare(db, "user_credits")),
      m_users_purchase(prepare(db, "users_purchase")),
      m_user_adjust(prepare(db, "user_adjust")),
      m_user_set_api(prepare(db, "user_set_api")),
      m_ledger(db),
      m_event_outcome(m_event_get.column_index("outcome")),
      m_credited_by(m_session_credited_by.column_index("credited_by")),
      m_purchase_user(m_users_purchase.column_index("id")),
      m_purchase_balance(m_users_purchase.column_index("credits_balance")) {
    take_writer_lock();
    // A larger page cache for bulk work (SQLite's own setting).
    if (db.engine() == db::Engine::sqlite) db.execute(sql::query(db::Engine::sqlite, "stripe", "bulk_cache_size"));
}

void Applier::take_writer_lock() {
    // Runs that apply events take turns (a no-op on SQLite, whose write transaction is the lock).
    m_db.execute(sql::query(m_db.engine(), "stripe", "events_writer_lock"));
}

namespace {

enum class Handler { none, session, charge_refunded, refund, dispute, fraud_warning };

Handler handler_of(std::string_view type) {
    if (type == "checkout.session.completed" || type == "checkout.session.async_payment_succeeded" ||
        type == "checkout.session.async_payment_failed")
        return Handler::session;
    if (type == "charge.refunded") return Handler::charge_refunded;
    if (type == "refund.created" || type == "refund.updated" || type == "refund.failed" ||
        type == "charge.refund.updated")
        return Handler::refund;
    if (type.substr(0, 15) == "charge.dispute.") return Handler::dispute;
    if (type == "radar.early_fraud_warning.created" || type == "radar.early_fraud_warning.updated")
        return Handler::fraud_warning;
    return Handler::none;
}

}  // namespace

Decision Applier::apply(const Event& e) {
    if (!e.unknown_shape.empty()) return needs("an event of a shape this tool cannot read: " + e.unknown_shape);
    const auto handler = handler_of(e.type);
    if (handler == Handler::none) return {Outcome::ignored, {}, false, 0, 0, 0};
    const bool want_live = m_options.livemode == Livemode::live;
    if (e.livemode != want_live) {
        auto d = needs(want_live ? "a test-mode event, but --live was given"
                                 : "a live-mode event: replay live events with --live");
        d.other_mode = true;
        return d;
    }
    if (auto why = created_out_of_range(e.created, m_now_unix)) return needs(*why);
    switch (handler) {
        case Handler::session: return session_event(e);
        case Handler::charge_refunded: return charge_refunded(e);
        case Handler::refund: return refund(e);
        case Handler::dispute: return dispute(e);
        case Handler::fraud_warning: return fraud_warning(e);
        case Handler::none: break;
    }
    return {Outcome::ignored, {}, false, 0, 0, 0};
}

void Applier::flush() {
    if (m_purchases.empty()) return;
    std::stable_sort(m_purchases.begin(), m_purchases.end(),
                     [](const Purchase& a, const Purchase& b) { return a.user_id < b.user_id; });
    // One row per user: what its purchases add, and its last purchase (the input's order), as
    // the JSON the statement reads (numbers, and a date of digits, dashes, colons and a space).
    std::string users = "[";
    std::vector<std::int64_t> added;  // per user, in the same order
    for (std::size_t i = 0, end = 0; i < m_purchases.size(); i = end) {
        std::int64_t credits = 0;
        bool api = false;
        for (end = i; end < m_purchases.size() && m_purchases[end].user_id == m_purchases[i].user_id; ++end) {
            credits += m_purchases[end].pack->credits;  // cannot overflow: flush_sums_fit()
            api = api || m_purchases[end].pack->unlocks_api;
        }
        const auto& last = m_purchases[end - 1];
        fmt::format_to(std::back_inserter(users), "{}[{},{},\"{}\",{},{}]", added.empty() ? "" : ",", last.user_id,
                       credits, util::timestamp_from_unix(last.created), last.pack->credits, api ? 1 : 0);
        added.push_back(credits);
    }
    users += "]";
    m_users_purchase.reset();
    m_users_purchase.bind(1, users);
    std::unordered_map<std::int64_t, std::int64_t> balance_after;  // user id -> its balance now
    balance_after.reserve(added.size());
    while (m_users_purchase.step())
        balance_after.emplace(m_users_purchase.column(m_purchase_user).int64(),
                              m_users_purchase.column(m_purchase_balance).int64());
    m_users_purchase.reset();

    std::size_t row = 0;
    for (std::size_t i = 0, end = 0; i < m_purchases.size(); i = end, ++row) {
        const auto user_id = m_purchases[i].user_id;
        const auto after = balance_after.find(user_id);
        // The user was found when the event was decided, under the same write transaction.
        if (after == balance_after.end()) refuse_purchase(m_purchases[i], added[row]);
        std::int64_t balance = after->second - added[row];
        for (end = i; end < m_purchases.size() && m_purchases[end].user_id == user_id; ++end) {
            const auto& p = m_purchases[end];
            const auto credits = p.pack->credits;
            balance += credits;
            credits::LedgerEntry entry;
            entry.user_id = p.user_id;
            entry.kind = "purchase";
            entry.amount = credits;
            entry.balance_delta = credits;
            entry.purchased_delta = credits;
            entry.balance_after = balance;
            entry.reason = fmt::format("{} pack bought (checkout session {})", p.pack->name, p.session_id);
            entry.actor = m_options.actor;
            entry.source = "stripe:" + p.event_id;
            entry.created_at = m_now;
            m_ledger.append_without_id(std::move(entry));
        }
    }
    m_purchases.clear();
}

// Why a purchase's UPDATE changed no row: a credit column that is not a whole number, or a sum
// past the 64-bit range. The whole input is refused (exit 4): nothing of it is committed.
void Applier::refuse_purchase(const Purchase& p, std::int64_t credits) {
    m_users_purchase.reset();
    db::Statement q(m_db, sql::query(m_db.engine(), "stripe", "user_purchase_refused"));
    q.bind(1, p.user_id);
    if (!q.step()) throw Error(fmt::format("user {} vanished during the replay", p.user_id));
    std::optional<std::string> why =
        users::not_whole("credits_balance", q.column("balance_type").text(), q.column("credits_balance").text());
    if (!why)
        why = users::not_whole("credits_purchased_total", q.column("purchased_total_type").text(),
                               q.column("credits_purchased_total").text());
    if (!why)
        why = fmt::format(
            "crediting {} would take credits_balance ({}) or credits_purchased_total ({}) past {}, the "
            "largest whole number the database stores",
            credits, q.column("credits_balance").int64(), q.column("credits_purchased_total").int64(),
            std::numeric_limits<std::int64_t>::max());
    throw refusal(fmt::format("event {}: user {}: {}", p.event_id, p.user_id, *why));
}

std::optional<std::string> Applier::session_credited_by(const std::string& session_id) {
    if (auto known = m_prefetched_sessions.known(session_id)) return *known;
    m_session_credited_by.reset();
    m_session_credited_by.bind(1, session_id);
    if (!m_session_credited_by.step()) return std::nullopt;
    return m_session_credited_by.column(m_credited_by).text();
}

void Applier::load_user_ids() {
    db::Statement max(m_db, sql::query(m_db.engine(), "stripe", "max_user_id"));
    const auto max_id = max.step() ? max.column("max_id").int64() : 0;
    if (max_id < 0 || max_id > max_bitmap_id) return;
    m_user_ids.assign(static_cast<std::size_t>(max_id) + 1, false);
    db::Statement q(m_db, sql::query(m_db.engine(), "stripe", "user_ids"));
    const int id_column = q.column_index("id");
    while (q.step()) {
        const auto id = q.column(id_column).int64();
        if (id >= 0) m_user_ids[static_cast<std::size_t>(id)] = true;
    }
}

users::Match Applier::find_user(const std::string& ref) {
    const bool by_id = users::numeric_id(ref);
    if (by_id && ++m_id_lookups == lookups_before_bitmap) load_user_ids();
    if (by_id && !m_user_ids.empty()) {
        users::Match m;
        const auto id = static_cast<std::int64_t>(std::stoll(ref));
        if (id >= 0 && static_cast<std::size_t>(id) < m_user_ids.size() && m_user_ids[static_cast<std::size_t>(id)]) {
            m.kind = users::Match::Kind::one;
            m.id = id;
        }
        return m;
    }
    return m_users.find(ref);
}

// The buyer: metadata.user_id, else client_reference_id (they must agree when both are set),
// else the customer's email as a last resort.
std::optional<std::int64_t> Applier::find_buyer(const Event& e, std::string& why) {
    if (!e.meta_user_id.empty() && !e.client_reference_id.empty() && e.meta_user_id != e.client_reference_id) {
        why = fmt::format("metadata.user_id {} and client_reference_id {} disagree", e.meta_user_id,
                          e.client_reference_id);
        return std::nullopt;
    }
    const std::string& ref = !e.meta_user_id.empty()          ? e.meta_user_id
                             : !e.client_reference_id.empty() ? e.client_reference_id
                                                              : e.email;
    const char* field = !e.meta_user_id.empty()          ? "metadata.user_id"
                        : !e.client_reference_id.empty() ? "client_reference_id"
                                                         : "customer email";
    if (ref.empty()) {
        why = "no buyer: no metadata.user_id, client_reference_id or customer email";
        return std::nullopt;
    }
    const auto match = find_user(ref);
    if (match.kind == users::Match::Kind::one) return match.id;
    why = match.kind == users::Match::Kind::several ? fmt::format("{} ({})", users::ambiguity(ref, match.ids), field)
                                                    : fmt::format("unknown user {} ({})", ref, field);
    return std::nullopt;
}

Decision Applier::session_event(const Event& e) {
    if (e.object_type != "checkout.session")
        return needs(fmt::format("data.object is a {}, not a checkout.session", e.object_type));
    if (e.object_id.empty()) return needs("the checkout session has no id");
    if (auto by = session_credited_by(e.object_id))
        return {Outcome::duplicate, fmt::format("session {} already credited by {}", e.object_id, *by), false, 0, 0, 0};
    if (e.type == "checkout.session.async_payment_failed")
        return {Outcome::payment_failed,
                fmt::format("the asynchronous payment of session {} failed; nothing was credited", e.object_id),
                true,
                0,
                0,
                0};
    if (e.mode != "payment")
        return needs(fmt::format("session mode is {}, not payment", e.mode.empty() ? "missing" : e.mode));
    std::string why;
    const auto user = find_buyer(e, why);
    if (!user) return needs(why);
    const std::string& pack_name = e.meta_pack.empty() ? e.meta_tier : e.meta_pack;
    const auto* pack = credits::find_pack(pack_name);
    if (pack == nullptr)
        return needs(pack_name.empty() ? "no pack (metadata.pack or metadata.tier)"
                                       : fmt::format("unknown pack {}", pack_name));
    // The subtotal is the pack's price before discounts and tax (older sessions: the total).
    const auto price = e.amount_subtotal ? e.amount_subtotal : e.amount_total;
    if (price != pack->price_cents || e.currency != credits::currency)
        return needs(fmt::format(
            "amount {} {} does not match the {} pack ({} {})", price ? std::to_string(*price) : "missing",
            e.currency.empty() ? "(no currency)" : e.currency, pack->name, pack->price_cents, credits::currency));
    // What was charged must be a positive amount that adds up: subtotal - discount + tax + shipping.
    if (!e.amount_total || *e.amount_total <= 0)
        return needs(fmt::format("amount_total {} is not a positive amount charged",
                                 e.amount_total ? std::to_string(*e.amount_total) : "missing"));
    if (e.amount_subtotal &&
        *e.amount_total != *e.amount_subtotal - e.amount_discount + e.amount_tax + e.amount_shipping)
        return needs(
            fmt::format("the amounts do not add up: total {} is not subtotal {} - discount {} + tax {} + "
                        "shipping {}",
                        *e.amount_total, *e.amount_subtotal, e.amount_discount, e.amount_tax, e.amount_shipping));
    if (e.type == "checkout.session.completed" && e.payment_status != "paid") {
        if (e.payment_status == "unpaid")
            return {Outcome::pending,
                    fmt::format("session {} unpaid: waiting for its async payment", e.object_id),
                    false,
                    0,
                    0,
                    0};
        return needs(fmt::format("payment_status is {}, not paid", e.payment_status));
    }

    const auto credits = pack->credits;
    m_purchases.push_back({*user, pack, e.created, e.id, e.object_id});
    if (m_purchases.size() >= purchases_per_flush) flush();

    m_prefetched_sessions.written.insert(e.object_id);
    m_session_insert.reset();
    m_session_insert.bind(1, e.object_id);
    m_session_insert.bind(2, *user);
    m_session_insert.bind(3, std::string(pack->name));
    m_session_insert.bind(4, credits);
    if (e.amount_total)
        m_session_insert.bind(5, *e.amount_total);
    else
        m_session_insert.bind_null(5);
    if (e.payment_intent.empty())
        m_session_insert.bind_null(6);
    else
        m_session_insert.bind(6, e.payment_intent);
    m_session_insert.bind(7, m_now);
    m_session_insert.bind(8, e.currency);
    m_session_insert.bind(9, *price);
    m_session_insert.bind(10, e.amount_discount);
    m_session_insert.bind(11, e.amount_tax);
    m_session_insert.exec_pipelined();
    std::string paid;
    if (e.amount_discount != 0 || e.amount_tax != 0)
        paid = fmt::format("; paid {} {} (discount {}, tax {})", e.amount_total.value_or(0), e.currency,
                           e.amount_discount, e.amount_tax);
    return {Outcome::credited,
            fmt::format("user {} +{} credits ({} pack{})", *user, credits, pack->name, paid),
            false,
            credits,
            0,
            0};
}

}  // namespace quicktools::stripe::detail
