#include "quicktools/credits/adjust.hpp"

#include <fmt/format.h>

#include <vector>

#include "quicktools/credits/ledger.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/users/users.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::credits {
namespace {

std::string email_of(db::Database& db, std::int64_t user_id) {
    db::Statement q(db, sql::query(db.engine(), "credits", "counters"));
    q.bind(1, user_id);
    return q.step() ? q.column("email").text() : std::string();
}

}  // namespace

std::optional<std::string> key_conflict(const StoredEntry& stored, Action action, std::int64_t user_id,
                                        std::int64_t amount, const std::string& reason) {
    if (stored.request_fingerprint && *stored.request_fingerprint == fingerprint(action, user_id, amount, reason))
        return std::nullopt;
    std::vector<std::string> differences;
    if (stored.kind != to_string(action))
        differences.push_back(fmt::format("action {} there, {} here", stored.kind, to_string(action)));
    if (stored.user_id != user_id)
        differences.push_back(fmt::format("user id {} there, {} here", stored.user_id, user_id));
    if (stored.amount != amount) differences.push_back(fmt::format("amount {} there, {} here", stored.amount, amount));
    if (stored.reason != reason)
        differences.push_back(fmt::format("reason \"{}\" there, \"{}\" here", stored.reason, reason));
    std::string what;
    for (const auto& d : differences) what += (what.empty() ? "" : "; ") + d;
    if (what.empty()) what = fmt::format("it belongs to a {} entry from {}", stored.kind, stored.source);
    return fmt::format(
        "idempotency key \"{}\" was already used at {} by {} (ledger entry {}) for a different request "
        "({}); use a new key for a new request",
        stored.idempotency_key.value_or(""), stored.created_at, stored.actor, stored.id, what);
}

AdjustResult adjust(db::Database& db, const AdjustRequest& r) {
    require_tool_tables(db);
    db::WriteTransaction tx(db);
    const std::int64_t user_id = users::resolve_user(db, r.user);
    // The user's row is ours until the commit (PostgreSQL: the web app's writes to it wait), so
    // the balance checked below is the one the update starts from, and a second run with the
    // same idempotency key waits for this one and then finds its entry.
    db::Statement lock(db, sql::query(db.engine(), "credits", "lock_user"));
    lock.bind(1, user_id);
    lock.exec();
    if (r.idempotency_key) {
        if (auto stored = find_by_key(db, *r.idempotency_key)) {
            if (auto conflict = key_conflict(*stored, r.action, user_id, r.amount, r.reason))
                throw refusal(*conflict + "; nothing changed");
            AdjustResult replay;
            replay.email = email_of(db, user_id);
            replay.balance_before = stored->balance_after - stored->balance_delta;
            replay.entry = std::move(*stored);
            replay.replayed = true;
            return replay;  // the transaction rolls back: nothing was written
        }
    }
    const auto user = users::load_user(db, user_id);
    users::require_whole_numbers(user);
    if (auto why = why_not(r.action, r.amount, user.balance, user.lifetime_used))
        throw refusal(fmt::format("{} not applied to user {} ({}): {}; nothing changed", to_string(r.action), user.id,
                                  user.email, *why));
    AdjustmentWriter writer(db);
    AdjustResult result;
    result.entry = writer.write(user_id, r.action, r.amount, r.reason, r.idempotency_key, r.actor, r.source,
                                util::now_timestamp());
    tx.commit();
    result.email = user.email;
    result.balance_before = user.balance;
    return result;
}

AdjustmentWriter::AdjustmentWriter(db::Database& db)
    : m_update(db, sql::query(db.engine(), "credits", "apply_deltas")), m_ledger(db) {}

StoredEntry AdjustmentWriter::write(std::int64_t user_id, Action action, std::int64_t amount, const std::string& reason,
                                    const std::optional<std::string>& key, const std::string& actor,
                                    const std::string& source, const std::string& created_at) {
    const auto d = deltas(action, amount);
    m_update.reset();
    m_update.bind(1, d.balance);
    m_update.bind(2, d.used);
    m_update.bind(3, user_id);
    // The statement changes nothing when the result would not be a whole number in range; the
    // caller checked that already, so no row here means the checks and the data disagree.
    if (!m_update.step())
        throw Error(
            fmt::format("user {} was not adjusted: the row is gone, or its balance or lifetime used is no "
                        "longer a whole number the change keeps in range; nothing changed",
                        user_id));
    const std::int64_t balance_after = m_update.column("credits_balance").int64();
    m_update.exec();

    StoredEntry out;
    out.user_id = user_id;
    out.kind = std::string(to_string(action));
    out.amount = amount;
    out.balance_delta = d.balance;
    out.used_delta = d.used;
    out.balance_after = balance_after;
    out.reason = reason;
    out.actor = actor;
    out.source = source;
    out.idempotency_key = key;
    if (key) out.request_fingerprint = fingerprint(action, user_id, amount, reason);
    out.created_at = created_at;
    out.id = m_ledger.append(out);
    return out;
}

}  // namespace quicktools::credits
