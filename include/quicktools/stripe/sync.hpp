#pragma once
// `stripe sync`: the events Stripe's Events API lists since the last run, applied exactly as
// `stripe replay` applies them, together with the cursor that lets the next run resume.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "quicktools/db/database.hpp"
#include "quicktools/stripe/account.hpp"
#include "quicktools/stripe/api_client.hpp"
#include "quicktools/stripe/events_api.hpp"
#include "quicktools/stripe/replay.hpp"

namespace quicktools::stripe {

// The quicktools_state row holding the newest event a sync applied.
inline constexpr std::string_view sync_cursor_name = "stripe.sync.cursor";

// How far before the newest applied event the next sync lists again: events can appear in the
// Events API after a newer one was listed (ids and delivery are not strictly ordered).
inline constexpr std::int64_t sync_overlap_seconds = 3600;
// How far inside Stripe's 30-day window a sync starts at the oldest (clocks differ a little).
inline constexpr std::int64_t sync_window_margin_seconds = 300;

// The newest event applied by a sync: the next one lists from its time less the overlap.
struct SyncCursor {
    std::string event_id;
    std::int64_t created = 0;
};

struct SyncOptions {
    std::optional<std::int64_t> since_seconds;  // --since: list from now - this, ignoring the cursor
    DryRun dry_run = DryRun::no;
    std::int64_t now = 0;  // Unix seconds
    int page_size = 100;
    int max_pages = 1000;  // a run lists at most this many pages (100 events each)
    ReplayOptions replay;
    std::optional<AccountBinding> bind;  // recorded with the events (first use of a database)
};

struct SyncResult {
    bool dry_run = false;
    std::string start;  // "cursor", "since" or "default" (the last 30 days, no cursor yet)
    // "cursor": from the stored cursor's time less sync_overlap_seconds, within the 30 days.
    std::optional<std::int64_t> since;  // created[gte] sent, Unix seconds
    std::optional<SyncCursor> cursor_before;
    std::optional<SyncCursor> cursor_after;  // stored (or, for a dry run, would be)
    int pages = 0;
    std::vector<std::string> warnings;  // for example the 30-day limit
    ReplayResult replay;
};

// The cursor stored by the last sync, if any.
std::optional<SyncCursor> read_sync_cursor(db::Database& db);

// Fetches every page first (a network failure changes nothing), then applies the events (and,
// when any purchase was credited, retries the stored events needing attention) and stores the
// cursor in one write transaction (rolled back for a dry run). Requires the tool's tables
// (exit 4); throws Error / ApiError as list_events does.
SyncResult sync_events(db::Database& db, StripeClient& client, const SyncOptions& options);

}  // namespace quicktools::stripe
