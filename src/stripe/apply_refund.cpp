// charge.refunded and charge.dispute.created. The rules are in README.md, "Stripe events".
#include <fmt/format.h>

#include <algorithm>

#include "applier.hpp"
#include "quicktools/credits/packs.hpp"

namespace quicktools::stripe::detail {
namespace {

struct SessionRow {
    std::string id;
    std::int64_t user_id = 0;
    std::string pack;
    std::int64_t credits = 0;
    std::int64_t refunded_credits = 0;
};

}  // namespace

Decision Applier::refund(const Event& e) {
    if (e.object_type != "charge") return needs(fmt::format("data.object is a {}, not a charge", e.object_type));
    if (e.payment_intent.empty())
        return needs(fmt::format("charge {} has no payment_intent, so its checkout session is unknown", e.object_id));
    m_sessions_by_pi.reset();
    m_sessions_by_pi.bind(1, e.payment_intent);
    std::vector<SessionRow> rows;
    while (m_sessions_by_pi.executeStep())
        rows.push_back({m_sessions_by_pi.getColumn(0).getString(), m_sessions_by_pi.getColumn(1).getInt64(),
                        m_sessions_by_pi.getColumn(2).getString(), m_sessions_by_pi.getColumn(3).getInt64(),
                        m_sessions_by_pi.getColumn(4).getInt64()});
    if (rows.empty())
        return needs(
            fmt::format("no credited checkout session has payment intent {} (credited outside the tool "
                        "without being recorded?)",
                        e.payment_intent));
    if (rows.size() > 1)
        return needs(fmt::format("several checkout sessions have payment intent {}", e.payment_intent));
    const SessionRow& s = rows.front();
    flush();  // the balance must include the purchases decided before this refund
    if (!e.amount || *e.amount <= 0) return needs(fmt::format("charge {} has no positive amount", e.object_id));

    // Credits follow the refunded share of the charge; a full refund takes the whole pack.
    const bool full = e.refunded || e.amount_refunded >= *e.amount;
    const std::int64_t target =
        full ? s.credits : s.credits * std::clamp<std::int64_t>(e.amount_refunded, 0, *e.amount) / *e.amount;
    const std::int64_t take = target - s.refunded_credits;
    if (take <= 0)
        return {Outcome::duplicate,
                fmt::format("session {} already had {} credits taken back", s.id, s.refunded_credits), false, 0, 0};

    m_user_credits.reset();
    m_user_credits.bind(1, s.user_id);
    if (!m_user_credits.executeStep()) return needs(fmt::format("unknown user {} (session {})", s.user_id, s.id));
    const auto balance = m_user_credits.getColumn(0).getInt64();
    const auto purchased = m_user_credits.getColumn(1).getInt64();
    const bool api = m_user_credits.getColumn(2).getInt() != 0;
    m_user_credits.reset();

    const auto clawed = std::min(balance, take);
    const auto shortfall = take - clawed;
    const auto purchased_back = std::clamp<std::int64_t>(purchased, 0, take);
    m_user_refund.reset();
    m_user_refund.bind(1, clawed);
    m_user_refund.bind(2, purchased_back);
    m_user_refund.bind(3, s.user_id);
    m_user_refund.executeStep();
    const auto balance_after = m_user_refund.getColumn(0).getInt64();
    m_user_refund.reset();
    m_session_set_refunded.reset();
    m_session_set_refunded.bind(1, target);
    m_session_set_refunded.bind(2, s.id);
    m_session_set_refunded.exec();

    // API access goes only with the last pack that unlocked it, never when the migration gave it.
    const auto* pack = credits::find_pack(s.pack);
    bool revoke = full && api && pack != nullptr && pack->unlocks_api;
    if (revoke) {
        m_user_other_sessions.reset();
        m_user_other_sessions.bind(1, s.user_id);
        m_user_other_sessions.bind(2, s.id);
        while (revoke && m_user_other_sessions.executeStep()) {
            const auto* other = credits::find_pack(m_user_other_sessions.getColumn(0).getString());
            if (other != nullptr && other->unlocks_api) revoke = false;
        }
        m_migrated_api.reset();
        m_migrated_api.bind(1, s.user_id);
        if (revoke && m_migrated_api.executeStep() && m_migrated_api.getColumn(0).getInt() != 0) revoke = false;
        m_migrated_api.reset();
    }
    if (revoke) {
        m_user_revoke_api.reset();
        m_user_revoke_api.bind(1, s.user_id);
        m_user_revoke_api.exec();
    }

    std::string detail = fmt::format("user {} -{} credits ({} pack, session {}{})", s.user_id, clawed, s.pack, s.id,
                                     full ? "" : ", partial refund");
    if (shortfall > 0) detail += fmt::format("; shortfall {}: the user had already spent them", shortfall);
    if (revoke) detail += "; API access revoked";
    credits::LedgerEntry entry;
    entry.user_id = s.user_id;
    entry.kind = "purchase_refund";
    entry.amount = take;
    entry.balance_delta = -clawed;
    entry.purchased_delta = -purchased_back;
    entry.balance_after = balance_after;
    entry.reason = fmt::format("charge {} refunded: {}", e.object_id, detail);
    entry.actor = m_options.actor;
    entry.source = "stripe:" + e.id;
    entry.created_at = m_now;
    m_ledger.append(std::move(entry));
    return {Outcome::refunded, detail, shortfall > 0, 0, clawed};
}

Decision Applier::dispute(const Event& e) {
    std::string who;
    if (!e.payment_intent.empty()) {
        m_sessions_by_pi.reset();
        m_sessions_by_pi.bind(1, e.payment_intent);
        if (m_sessions_by_pi.executeStep())
            who = fmt::format(" (user {}, {} pack, session {})", m_sessions_by_pi.getColumn(1).getInt64(),
                              m_sessions_by_pi.getColumn(2).getString(), m_sessions_by_pi.getColumn(0).getString());
        m_sessions_by_pi.reset();
    }
    return {
        Outcome::disputed,
        fmt::format("dispute {} on charge {}{} for {} {} ({}): decide whether to take the credits back", e.object_id,
                    e.charge, who, e.amount.value_or(0), e.currency, e.reason.empty() ? "no reason" : e.reason),
        true, 0, 0};
}

}  // namespace quicktools::stripe::detail
