// `stripe sync`: list the missed events, then apply them and move the cursor in one transaction.
#include "quicktools/stripe/sync.hpp"

#include <fmt/format.h>

#include "state.hpp"
#include "quicktools/credits/ledger.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/stripe/event_reader.hpp"
#include "quicktools/stripe/events_api.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::stripe {

std::optional<SyncCursor> read_sync_cursor(db::Database& db) {
    const std::string unreadable = fmt::format(
        "the stored sync cursor ({} in quicktools_state) is not readable; delete that row and run the sync with "
        "--since",
        sync_cursor_name);
    const auto value = detail::read_state(db, sync_cursor_name, unreadable);
    if (!value) return std::nullopt;
    if (!value->contains("event_id") || !(*value)["event_id"].is_string() || !value->contains("created") ||
        !(*value)["created"].is_number_integer())
        throw Error(unreadable);
    return SyncCursor{(*value)["event_id"].get<std::string>(), (*value)["created"].get<std::int64_t>()};
}

namespace {

void write_sync_cursor(db::Database& db, const SyncCursor& cursor) {
    detail::write_state(db, sync_cursor_name, {{"event_id", cursor.event_id}, {"created", cursor.created}});
}

}  // namespace

SyncResult sync_events(db::Database& db, StripeClient& client, const SyncOptions& o) {
    credits::require_tool_tables(db);
    SyncResult result;
    result.dry_run = o.dry_run == DryRun::yes;
    result.cursor_before = read_sync_cursor(db);
    ListEventsOptions list;
    list.page_size = o.page_size;
    list.max_pages = o.max_pages;
    list.now = o.now;
    const auto oldest_listable = o.now - events_retention_seconds + sync_window_margin_seconds;
    if (o.since_seconds) {
        result.start = "since";
        list.since = o.now - *o.since_seconds;
    } else if (result.cursor_before) {
        // Event ids are not ordered and an event can appear late: list again from a while before
        // the newest event applied; what was applied before comes back as a duplicate.
        result.start = "cursor";
        list.since = result.cursor_before->created - sync_overlap_seconds;
        if (list.since < oldest_listable) {
            result.warnings.push_back(fmt::format(
                "the last sync applied events up to {} UTC, longer ago than Stripe's Events API keeps events (30 "
                "days): listing from {} UTC; replay anything older from an export with `quicktools stripe replay` "
                "or check it with `quicktools stripe reconcile`",
                util::timestamp_from_unix(result.cursor_before->created).substr(0, 19),
                util::timestamp_from_unix(oldest_listable).substr(0, 19)));
            list.since = oldest_listable;
        }
    } else {
        // No cursor yet: everything Stripe still lists.
        result.start = "default";
        list.since = oldest_listable;
    }
    result.since = list.since;
    // Every page before any write: a failure part-way applies nothing and keeps the cursor.
    auto listed = list_events(client, list);
    result.pages = listed.pages;
    for (auto& w : listed.warnings) result.warnings.push_back(std::move(w));
    std::vector<std::string> texts;
    texts.reserve(listed.events.size());
    for (const auto& event : listed.events) texts.push_back(event.dump());
    result.cursor_after = result.cursor_before;
    if (!listed.newest_id.empty() && (!result.cursor_before || listed.newest_created >= result.cursor_before->created))
        result.cursor_after = SyncCursor{listed.newest_id, listed.newest_created};

    db::WriteTransaction tx(db);  // a dry run never commits: the destructor rolls back
    MemoryEventSource source("the events listed by Stripe", std::move(texts));
    result.replay = apply_events(db, source, o.replay);
    // A purchase may have arrived after its refund or dispute: try the stored ones again.
    if (result.replay.count(Outcome::credited) > 0) {
        auto stored = stored_needing_attention(db);
        result.replay.add(apply_events(db, *stored, o.replay));
    }
    if (result.dry_run) return result;
    if (o.bind) record_account_binding(db, *o.bind);
    // Read again under the write lock: a sync that overlapped this one may have stored a newer
    // cursor meanwhile, and the cursor never moves back.
    const auto stored = read_sync_cursor(db);
    if (result.cursor_after && (!stored || stored->created <= result.cursor_after->created))
        write_sync_cursor(db, *result.cursor_after);
    else if (stored)
        result.cursor_after = stored;
    tx.commit();
    return result;
}

}  // namespace quicktools::stripe
