#pragma once
// `stripe reconcile`: Stripe as the source of truth. The Checkout Sessions completed in a window,
// and the refunds and disputes of it, are listed from the API and compared with the database;
// what the database lacks is applied by the same rules and with the same idempotency as
// `stripe replay` (each listed object becomes an event fed to apply_events), and what the
// database has but Stripe does not confirm is reported for a person.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quicktools/db/database.hpp"
#include "quicktools/stripe/account.hpp"
#include "quicktools/stripe/api_client.hpp"
#include "quicktools/stripe/list.hpp"
#include "quicktools/stripe/replay.hpp"

namespace quicktools::stripe {

// The window reconcile looks at when --since is not given.
inline constexpr std::int64_t reconcile_default_seconds = 30LL * 24 * 3600;
// The prefix of the ids of the events reconcile makes from listed objects.
inline constexpr std::string_view reconcile_event_prefix = "reconcile:";

// What the database has recorded of a refund or a dispute (quicktools_refunds, quicktools_disputes).
struct RecordedRefund {
    std::int64_t amount = 0;
    std::string status;
};
struct RecordedDispute {
    std::string status;
    bool funds_withdrawn = false;
    bool funds_reinstated = false;
};

// Whether a listed refund or dispute is reflected as the database records it (pure).
bool refund_reflected(const std::optional<RecordedRefund>& recorded, const nlohmann::json& refund);
bool dispute_reflected(const std::optional<RecordedDispute>& recorded, const nlohmann::json& dispute);

// The event reconcile applies for a listed object (pure): checkout.session.completed for a
// session (id reconcile:<session>, created: the session's), refund.updated for a refund and
// charge.dispute.updated for a dispute (ids naming the state, so a later change is applied
// again; created: `now`, the time the state was seen). `livemode` is the key's (refunds carry none).
nlohmann::json reconcile_event(const nlohmann::json& object, std::int64_t now, bool livemode);

struct ReconcileOptions {
    std::int64_t since_seconds = reconcile_default_seconds;  // the window: now - this .. now
    std::int64_t now = 0;                                    // Unix seconds
    DryRun dry_run = DryRun::no;
    ListOptions list{100, 1000, {}};  // every page, up to 1000 of them
    ReplayOptions replay;
    std::optional<AccountBinding> bind;  // recorded with the writes (first use of a database)
};

// A session the database credited that Stripe does not confirm as paid.
struct Unconfirmed {
    std::string session_id;
    std::int64_t user_id = 0;
    std::string pack;
    std::string reason;  // "not found at Stripe ...", "not paid at Stripe ..."
};

struct ReconcileResult {
    bool dry_run = false;
    std::int64_t since = 0;  // created[gte] sent, Unix seconds
    int pages = 0;
    std::int64_t sessions_listed = 0, refunds_listed = 0, disputes_listed = 0;
    std::int64_t in_sync = 0;        // listed objects the database already reflects
    std::int64_t unpaid = 0;         // complete sessions still waiting for an asynchronous payment
    std::int64_t local_checked = 0;  // sessions credited in the window but not listed, asked for one by one
    std::vector<Unconfirmed> unconfirmed;
    ReplayResult applied;  // what the events made from listed objects did
    std::int64_t attention_total() const {
        return applied.attention_total + static_cast<std::int64_t>(unconfirmed.size());
    }
};

// Lists everything first (sessions, refunds, disputes, then each session credited in the
// window that was not listed), so a failure changes nothing; then applies in one write
// transaction (rolled back for a dry run), with the account binding. Requires the tool's
// tables (exit 4).
ReconcileResult reconcile(db::Database& db, StripeClient& client, const ReconcileOptions& options);

}  // namespace quicktools::stripe
