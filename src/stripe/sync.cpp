// `stripe sync`: list the missed events, then apply them and move the cursor in one transaction.
#include "quicktools/stripe/sync.hpp"

#include <fmt/format.h>

#include "quicktools/credits/ledger.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/stripe/event_reader.hpp"
#include "quicktools/stripe/events_api.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::stripe {

std::optional<SyncCursor> read_sync_cursor(db::Database& db) {
    SQLite::Statement q(db.sql(), sql::query("stripe", "state_get"));
    q.bind(1, std::string(sync_cursor_name));
    if (!q.executeStep()) return std::nullopt;
    const auto value = nlohmann::json::parse(q.getColumn(0).getString(), nullptr, false);
    if (!value.is_object() || !value.contains("event_id") || !value["event_id"].is_string() ||
        !value.contains("created") || !value["created"].is_number_integer())
        throw Error(fmt::format("the stored sync cursor ({} in quicktools_state) is not readable; delete that row "
                                "and run the sync with --since",
                                sync_cursor_name));
    return SyncCursor{value["event_id"].get<std::string>(), value["created"].get<std::int64_t>()};
}

namespace {

void write_sync_cursor(db::Database& db, const SyncCursor& cursor) {
    SQLite::Statement q(db.sql(), sql::query("stripe", "state_put"));
    q.bind(1, std::string(sync_cursor_name));
    q.bind(2, nlohmann::json{{"event_id", cursor.event_id}, {"created", cursor.created}}.dump());
    q.bind(3, util::now_timestamp());
    q.exec();
}

}  // namespace

SyncResult sync_events(db::Database& db, StripeClient& client, const SyncOptions& o) {
    credits::require_tool_tables(db);
    SyncResult result;
    result.dry_run = o.dry_run == DryRun::yes;
    result.cursor_before = read_sync_cursor(db);

    ListEventsOptions list;
    list.page_size = o.page_size;
    list.now = o.now;
    if (o.since_seconds) {
        result.start = "since";
        list.since = o.now - *o.since_seconds;
    } else if (result.cursor_before) {
        result.start = "cursor";
        list.cursor = result.cursor_before->event_id;
    } else {
        // No cursor yet: everything Stripe still lists.
        result.start = "default";
        list.since = o.now - events_retention_seconds;
    }
    result.since = list.since;
    // Every page before any write: a failure part-way applies nothing and keeps the cursor.
    auto listed = list_events(client, list);
    result.pages = listed.pages;
    result.warnings = std::move(listed.warnings);

    std::vector<std::string> texts;
    texts.reserve(listed.events.size());
    for (const auto& event : listed.events) texts.push_back(event.dump());
    // The events come oldest first: the last is the newest, the one list_events names as the cursor.
    result.cursor_after = result.cursor_before;
    if (!listed.events.empty()) {
        const auto& newest = listed.events.back();
        const auto created = newest.contains("created") && newest["created"].is_number_integer()
                                 ? newest["created"].get<std::int64_t>()
                                 : 0;
        result.cursor_after = SyncCursor{listed.cursor, created};
    }

    db::WriteTransaction tx(db);  // a dry run never commits: the destructor rolls back
    MemoryEventSource source("the events listed by Stripe", std::move(texts));
    result.replay = apply_events(db, source, o.replay);
    if (result.dry_run) return result;
    // Read again under the write lock: a sync that overlapped this one may have stored a newer
    // cursor meanwhile, and the cursor never moves back.
    const auto stored = read_sync_cursor(db);
    if (result.cursor_after && (!stored || (stored->event_id != result.cursor_after->event_id &&
                                            stored->created <= result.cursor_after->created)))
        write_sync_cursor(db, *result.cursor_after);
    else if (stored)
        result.cursor_after = stored;
    tx.commit();
    return result;
}

}  // namespace quicktools::stripe
