// Refunds, disputes and early fraud warnings: what happens to a credited pack after the
// purchase. Each event records a fact (a refund's status, a dispute's funds), then the session
// is settled: what its refunds and disputes now say it owes back is compared with what was
// taken, and the difference taken or given back. So every order of delivery, and every repeat,
// ends in the same state. The rules are in docs/stripe.md.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "applier.hpp"
#include "quicktools/credits/packs.hpp"

namespace quicktools::stripe::detail {
namespace {

bool is_inquiry(std::string_view status) { return status.substr(0, 8) == "warning_"; }

// The share of a pack's credits that `refunded` of `paid` cents stands for (all of it once the
// whole payment is refunded).
std::int64_t share_of(std::int64_t credits, std::int64_t refunded, std::int64_t paid) {
    if (refunded <= 0 || paid <= 0) return 0;
    if (refunded >= paid) return credits;
    const auto share =
        static_cast<long double>(credits) * static_cast<long double>(refunded) / static_cast<long double>(paid);
    return std::clamp<std::int64_t>(static_cast<std::int64_t>(share), 0, credits);
}

}  // namespace

std::optional<SessionRow> Applier::session_of(const Event& e, std::string& why) {
    if (e.payment_intent.empty()) {
        why =
            fmt::format("{} {} has no payment_intent, so its checkout session is unknown", e.object_type, e.object_id);
        return std::nullopt;
    }
    auto& q = m_sessions_by_pi;
    q.reset();
    q.bind(1, e.payment_intent);
    std::vector<SessionRow> rows;
    while (q.step()) {
        SessionRow s;
        s.id = q.column("session_id").text();
        s.user_id = q.column("user_id").int64();
        s.pack = q.column("pack").text();
        s.credits = q.column("credits").int64();
        s.owed = q.column("refunded_credits").int64();
        s.amount_total = q.column("amount_total").optional_int64();
        s.clawed = q.column("clawed_credits").int64();
        s.purchased_taken = q.column("purchased_taken").int64();
        s.api_suspended = q.column("api_suspended").int32() != 0;
        s.charge_refunded = q.column("charge_refunded_amount").int64();
        s.charge_refunded_at = q.column("charge_refunded_at").optional_int64();
        rows.push_back(std::move(s));
    }
    q.reset();
    if (rows.empty()) {
        why = fmt::format(
            "no credited checkout session has payment intent {} (credited outside the tool without "
            "being recorded?)",
            e.payment_intent);
        return std::nullopt;
    }
    if (rows.size() > 1) {
        why = fmt::format("several checkout sessions have payment intent {}", e.payment_intent);
        return std::nullopt;
    }
    flush();  // the balance must include the purchases decided before this event
    return std::move(rows.front());
}

void Applier::record_refund(const std::string& refund_id, const std::string& session_id, std::int64_t amount,
                            const std::string& status, std::int64_t status_at) {
    m_refund_upsert.reset();
    m_refund_upsert.bind(1, refund_id);
    m_refund_upsert.bind(2, session_id);
    m_refund_upsert.bind(3, amount);
    m_refund_upsert.bind(4, status);
    m_refund_upsert.bind(5, status_at);
    m_refund_upsert.bind(6, m_now);
    m_refund_upsert.exec();
}

bool Applier::other_api_unlock(const SessionRow& s) {
    m_user_other_sessions.reset();
    m_user_other_sessions.bind(1, s.user_id);
    m_user_other_sessions.bind(2, s.id);
    bool other = false;
    while (!other && m_user_other_sessions.step()) {
        const auto* pack = credits::find_pack(m_user_other_sessions.column("pack").text());
        other = pack != nullptr && pack->unlocks_api;
    }
    m_user_other_sessions.reset();
    m_migrated_api.reset();
    m_migrated_api.bind(1, s.user_id);
    if (!other && m_migrated_api.step()) other = m_migrated_api.column("new_api_access").int32() != 0;
    m_migrated_api.reset();
    return other;
}

Settlement Applier::settle(const SessionRow& s, const Event& e, std::string_view cause) {
    // What the refunds say: the refunds that did not fail, or the charge's own refunded total
    // less the refunds that failed after it was reported, whichever is more.
    m_session_refunds.reset();
    m_session_refunds.bind(1, s.id);
    m_session_refunds.bind(2, s.charge_refunded_at.value_or(std::numeric_limits<std::int64_t>::max()));
    m_session_refunds.step();
    const auto refunds_active = m_session_refunds.column("active").int64();
    const auto failed_since_charge = m_session_refunds.column("failed_since").int64();
    m_session_refunds.reset();
    const auto from_charge = s.charge_refunded_at ? s.charge_refunded - failed_since_charge : 0;
    const auto* pack = credits::find_pack(s.pack);
    std::int64_t paid = s.amount_total.value_or(0);
    if (paid <= 0 && e.object_type == "charge") paid = e.amount.value_or(0);
    if (paid <= 0 && pack != nullptr) paid = pack->price_cents;
    std::int64_t owed = share_of(s.credits, std::max(refunds_active, from_charge), paid);

    // What the disputes say: the whole pack while its money is withdrawn, or once lost.
    m_disputes_holding.reset();
    m_disputes_holding.bind(1, s.id);
    m_disputes_holding.step();
    if (m_disputes_holding.column("holding").int64() > 0) owed = s.credits;
    m_disputes_holding.reset();

    Settlement out;
    auto clawed = s.clawed;
    auto purchased_taken = s.purchased_taken;
    std::int64_t balance_delta = 0, purchased_delta = 0;
    m_user_credits.reset();
    m_user_credits.bind(1, s.user_id);
    if (!m_user_credits.step())
        throw Error(fmt::format("user {} of checkout session {} is gone from users", s.user_id, s.id));
    const auto balance = m_user_credits.column("credits_balance").int64();
    const auto purchased = m_user_credits.column("credits_purchased_total").int64();
    const bool api = m_user_credits.column("api_access_unlocked").int32() != 0;
    auto not_whole = users::not_whole("credits_balance", m_user_credits.column("balance_type").text(),
                                      m_user_credits.column("credits_balance").text());
    if (!not_whole)
        not_whole = users::not_whole("credits_purchased_total", m_user_credits.column("purchased_total_type").text(),
                                     m_user_credits.column("credits_purchased_total").text());
    m_user_credits.reset();
    if (not_whole) throw refusal(fmt::format("event {}: user {}: {}", e.id, s.user_id, *not_whole));
    if (owed > s.owed) {
        const auto want = owed - s.owed;
        out.taken = std::clamp<std::int64_t>(balance, 0, want);
        out.shortfall = want - out.taken;
        const auto purchased_back = std::clamp<std::int64_t>(purchased, 0, want);
        clawed += out.taken;
        purchased_taken += purchased_back;
        balance_delta = -out.taken;
        purchased_delta = -purchased_back;
    } else if (owed < s.owed) {
        // A shortfall is forgiven first: only what was really taken comes back.
        const auto keep_clawed = std::min(clawed, owed);
        const auto keep_purchased = std::min(purchased_taken, owed);
        out.given = clawed - keep_clawed;
        balance_delta = out.given;
        purchased_delta = purchased_taken - keep_purchased;
        clawed = keep_clawed;
        purchased_taken = keep_purchased;
    }

    // API access goes with the last pack that unlocked it (a migration's unlock counts), and
    // comes back with the credits.
    const bool whole_pack = s.credits > 0 && owed >= s.credits;
    bool suspended = s.api_suspended;
    if (whole_pack && !suspended && api && pack != nullptr && pack->unlocks_api && !other_api_unlock(s)) {
        suspended = out.api_suspended = true;
    } else if (!whole_pack && suspended) {
        suspended = false;
        out.api_restored = true;
    }

    std::int64_t balance_after = balance;
    constexpr auto largest = std::numeric_limits<std::int64_t>::max();
    if ((balance_delta > 0 && balance > largest - balance_delta) ||
        (purchased_delta > 0 && purchased > largest - purchased_delta))
        throw refusal(
            fmt::format("event {}: user {}: giving back {} credits would take credits_balance ({}) or "
                        "credits_purchased_total ({}) past {}, the largest whole number the database stores",
                        e.id, s.user_id, balance_delta, balance, purchased, largest));
    if (balance_delta != 0 || purchased_delta != 0) {
        m_user_adjust.reset();
        m_user_adjust.bind(1, balance_delta);
        m_user_adjust.bind(2, purchased_delta);
        m_user_adjust.bind(3, s.user_id);
        m_user_adjust.step();
        balance_after = m_user_adjust.column("credits_balance").int64();
        m_user_adjust.reset();
    }
    if (out.api_suspended || out.api_restored) {
        m_user_set_api.reset();
        m_user_set_api.bind(1, s.user_id);
        m_user_set_api.bind(2, out.api_restored ? 1 : 0);
        m_user_set_api.exec();
    }
    m_session_set_taken.reset();
    m_session_set_taken.bind(1, owed);
    m_session_set_taken.bind(2, clawed);
    m_session_set_taken.bind(3, purchased_taken);
    m_session_set_taken.bind(4, suspended ? 1 : 0);
    m_session_set_taken.bind(5, s.id);
    m_session_set_taken.exec();

    if (balance_delta != 0 || purchased_delta != 0 || owed != s.owed) {
        const bool dispute = e.object_type == "dispute";
        credits::LedgerEntry entry;
        entry.user_id = s.user_id;
        entry.kind = owed > s.owed ? (dispute ? "dispute_withdrawal" : "purchase_refund")
                                   : (dispute ? "dispute_reinstated" : "refund_reversed");
        entry.amount = owed > s.owed ? owed - s.owed : s.owed - owed;
        entry.balance_delta = balance_delta;
        entry.purchased_delta = purchased_delta;
        entry.balance_after = balance_after;
        entry.reason = fmt::format("{} ({} pack, session {}): {} of {} credits owed back{}", cause, s.pack, s.id, owed,
                                   s.credits, out.shortfall > 0 ? fmt::format(", shortfall {}", out.shortfall) : "");
        if (!m_options.note.empty()) entry.reason += ": " + m_options.note;
        entry.actor = m_options.actor;
        entry.source = "stripe:" + e.id;
        entry.created_at = m_now;
        m_ledger.append_without_id(std::move(entry));
    }
    return out;
}

namespace {

// "user 7 -1200 credits (pro pack, session cs_1); API access suspended"
std::string describe(const SessionRow& s, const Settlement& d, std::string_view extra) {
    std::string text = fmt::format("user {} ", s.user_id);
    if (d.taken > 0 || d.shortfall > 0)
        text += fmt::format("-{} credits", d.taken);
    else if (d.given > 0)
        text += fmt::format("+{} credits given back", d.given);
    else
        text += "no change";
    text += fmt::format(" ({} pack, session {}{})", s.pack, s.id, extra);
    if (d.shortfall > 0) text += fmt::format("; shortfall {}: the user had already spent them", d.shortfall);
    if (d.api_suspended) text += "; API access suspended";
    if (d.api_restored) text += "; API access restored";
    return text;
}

Decision refund_decision(const SessionRow& s, const Settlement& d, std::string_view what) {
    if (d.taken > 0 || d.shortfall > 0) {
        Decision out{Outcome::refunded, describe(s, d, what), d.shortfall > 0, 0, d.taken, 0};
        out.shortfall = d.shortfall;
        return out;
    }
    if (d.given > 0 || d.api_restored) return {Outcome::restored, describe(s, d, what), false, 0, 0, d.given};
    return {Outcome::duplicate,
            fmt::format("already reflected: session {} owes back {} of {} credits", s.id, s.owed, s.credits),
            false,
            0,
            0,
            0};
}

}  // namespace

Decision Applier::charge_refunded(const Event& e) {
    if (e.object_type != "charge") return needs(fmt::format("data.object is a {}, not a charge", e.object_type));
    if (!e.amount || *e.amount <= 0) return needs(fmt::format("charge {} has no positive amount", e.object_id));
    std::string why;
    const auto s = session_of(e, why);
    if (!s) return needs(why);
    for (const auto& r : e.refunds)
        record_refund(r.id, s->id, r.amount, r.status.empty() ? std::string("succeeded") : r.status, e.created);
    m_session_set_charge_refunded.reset();
    m_session_set_charge_refunded.bind(1, e.refunded ? std::max(e.amount_refunded, *e.amount) : e.amount_refunded);
    m_session_set_charge_refunded.bind(2, e.created);
    m_session_set_charge_refunded.bind(3, s->id);
    m_session_set_charge_refunded.exec();
    const auto updated = session_of(e, why);
    const bool partial = !e.refunded && e.amount_refunded < *e.amount;
    const auto d = settle(*updated, e, fmt::format("charge {} refunded", e.object_id));
    return refund_decision(*updated, d, partial ? ", partial refund" : "");
}

Decision Applier::refund(const Event& e) {
    if (e.object_type != "refund") return needs(fmt::format("data.object is a {}, not a refund", e.object_type));
    if (e.object_id.empty()) return needs("the refund has no id");
    std::string why;
    const auto s = session_of(e, why);
    if (!s) return needs(why);
    std::string status = e.status;
    if (status.empty()) status = e.type == "refund.failed" ? "failed" : "pending";
    record_refund(e.object_id, s->id, std::max<std::int64_t>(e.amount.value_or(0), 0), status, e.created);
    const auto d = settle(*s, e, fmt::format("refund {} {}", e.object_id, status));
    return refund_decision(*s, d, fmt::format(", refund {} {}", e.object_id, status));
}

Decision Applier::dispute(const Event& e) {
    if (e.object_type != "dispute") return needs(fmt::format("data.object is a {}, not a dispute", e.object_type));
    if (e.object_id.empty()) return needs("the dispute has no id");
    std::string why;
    const auto s = session_of(e, why);
    if (!s) return needs(fmt::format("dispute {} on charge {}: {}", e.object_id, e.charge, why));
    // An inquiry moves no money. Otherwise the dispute's balance transactions say what moved:
    // the first withdraws the funds, a second reinstates them.
    const bool inquiry = is_inquiry(e.status);
    const bool withdrawn = !inquiry && (e.type == "charge.dispute.funds_withdrawn" || e.balance_transactions >= 1);
    const bool reinstated = !inquiry && (e.type == "charge.dispute.funds_reinstated" || e.balance_transactions >= 2);
    m_dispute_upsert.reset();
    m_dispute_upsert.bind(1, e.object_id);
    m_dispute_upsert.bind(2, s->id);
    if (e.amount)
        m_dispute_upsert.bind(3, *e.amount);
    else
        m_dispute_upsert.bind_null(3);
    if (e.reason.empty())
        m_dispute_upsert.bind_null(4);
    else
        m_dispute_upsert.bind(4, e.reason);
    m_dispute_upsert.bind(5, e.status.empty() ? std::string("needs_response") : e.status);
    m_dispute_upsert.bind(6, e.created);
    m_dispute_upsert.bind(7, withdrawn ? 1 : 0);
    m_dispute_upsert.bind(8, reinstated ? 1 : 0);
    m_dispute_upsert.bind(9, m_now);
    m_dispute_upsert.exec();
    m_dispute_get.reset();
    m_dispute_get.bind(1, e.object_id);
    m_dispute_get.step();
    const auto status = m_dispute_get.column("status").text();
    m_dispute_get.reset();

    const auto d = settle(*s, e, fmt::format("dispute {} {}", e.object_id, status));
    const auto what =
        fmt::format(", dispute {} {}{}", e.object_id, status, e.reason.empty() ? "" : fmt::format(" ({})", e.reason));
    if (d.taken > 0 || d.shortfall > 0) {
        Decision out{
            Outcome::disputed, describe(*s, d, what) + ": funds withdrawn; respond with evidence", true, 0, d.taken, 0};
        out.shortfall = d.shortfall;
        return out;
    }
    if (d.given > 0 || d.api_restored) return {Outcome::restored, describe(*s, d, what), false, 0, 0, d.given};
    if (is_inquiry(status))
        return {Outcome::reported,
                fmt::format("inquiry {} on charge {} (user {}, {} pack, session {}): no money moved; respond before it "
                            "becomes a chargeback",
                            e.object_id, e.charge, s->user_id, s->pack, s->id),
                status == "warning_needs_response",
                0,
                0,
                0};
    if (status == "lost")
        return {Outcome::reported,
                fmt::format("dispute {} lost (user {}, {} pack, session {}): final; the credits stay taken back",
                            e.object_id, s->user_id, s->pack, s->id),
                false,
                0,
                0,
                0};
    if (status == "won")
        return {Outcome::reported,
                fmt::format("dispute {} won (user {}, {} pack, session {})", e.object_id, s->user_id, s->pack, s->id),
                false,
                0,
                0,
                0};
    return {
        Outcome::disputed,
        fmt::format("dispute {} {} on charge {} (user {}, {} pack, session {}) for {} {} ({}): respond with evidence",
                    e.object_id, status, e.charge, s->user_id, s->pack, s->id, e.amount.value_or(0), e.currency,
                    e.reason.empty() ? "no reason" : e.reason),
        e.type == "charge.dispute.created",
        0,
        0,
        0};
}

Decision Applier::fraud_warning(const Event& e) {
    std::string why;
    const auto s = session_of(e, why);
    const std::string who =
        s ? fmt::format(" (user {}, {} pack, session {})", s->user_id, s->pack, s->id) : std::string();
    return {Outcome::reported,
            fmt::format("early fraud warning {} ({}) on charge {}{}: consider refunding before it becomes a dispute",
                        e.object_id, e.reason.empty() ? "no fraud type" : e.reason, e.charge, who),
            true,
            0,
            0,
            0};
}

}  // namespace quicktools::stripe::detail
