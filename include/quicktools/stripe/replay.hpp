#pragma once
// Applying Stripe events to quicktools.db: purchases, async payments, refunds and disputes,
// each event id once and each Checkout Session credited once.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "quicktools/dry_run.hpp"
#include "quicktools/db/database.hpp"
#include "quicktools/stripe/event_reader.hpp"

namespace quicktools::stripe {

// Whether `stripe replay --retry` also tries the stored events needing attention again.
enum class RetryStored { no, yes };
enum class Livemode { test, live };

// What became of one event.
enum class Outcome {
    credited,         // a pack credited
    duplicate,        // event id seen before, or its session already credited
    pending,          // checkout completed but unpaid: waits for async_payment_succeeded
    ignored,          // a type replay does not act on
    needs_attention,  // cannot be applied (unknown user or pack, mismatch, ...): kept, retried later
    refunded,         // a refund (charge.refunded, refund.*): the refunded share of the pack taken back
    disputed,         // dispute funds withdrawn (the pack taken back) or a dispute opened: a person responds
    payment_failed,   // checkout.session.async_payment_failed: nothing credited, reported
    restored,         // a refund failed or was cancelled, a dispute reinstated or won: given back
    reported,         // an inquiry, an early fraud warning, a lost dispute: nothing (more) changes
};
inline constexpr std::array<Outcome, 10> all_outcomes = {
    Outcome::credited, Outcome::duplicate, Outcome::pending,        Outcome::ignored,  Outcome::needs_attention,
    Outcome::refunded, Outcome::disputed,  Outcome::payment_failed, Outcome::restored, Outcome::reported};
std::string_view to_string(Outcome outcome);

struct ReplayOptions {
    Livemode livemode = Livemode::test;  // events must have this livemode
    std::string actor;                   // recorded in the ledger
    // Appended to the reason of the ledger entries refunds and disputes write (for example the
    // reason given to `credits refund-purchase`).
    std::string note;
    // Called now and then with the number of events handled so far (progress display).
    std::function<void(std::int64_t)> progress;
    // When set, a thin event is fetched by id (GET /v1/events/{id}) and the full event applied
    // instead: returns its JSON, or an empty string with `why` set when it cannot be had.
    std::function<std::string(const std::string& event_id, std::string& why)> fetch_event;
    // Commit every this many events of an input (0: each input is one transaction), so the web
    // app's writes to the users a replay credits wait for one batch at most. A re-run after a
    // failure finds the committed events recorded and applies the rest (replay_inputs).
    std::int64_t batch = 0;
    // Set by replay_inputs: commits the events so far and begins the next batch's transaction.
    std::function<void(std::int64_t events_so_far)> commit_batch;
};

// An event a person should look at: needs attention, disputed, failed payment, or a refund
// that could not take back all credits.
struct Attention {
    std::string event_id;
    std::string type;
    Outcome outcome = Outcome::needs_attention;
    std::string reason;
};

// How many events for a person a result lists (the rest are counted; all are in
// quicktools_stripe_events), so memory stays bounded when a whole stream fails.
inline constexpr std::size_t max_attention_listed = 10'000;

struct ReplayResult {
    std::int64_t events = 0;
    std::array<std::int64_t, all_outcomes.size()> counts{};
    std::int64_t retried = 0;  // events stored as needs_attention and handled again
    std::int64_t credits_added = 0;
    std::int64_t credits_clawed_back = 0;
    std::int64_t credits_restored = 0;   // given back by failed refunds and reinstated disputes
    std::int64_t credits_shortfall = 0;  // owed back by refunds and disputes but already spent
    std::vector<Attention> attention;    // the first max_attention_listed of them
    std::int64_t attention_total = 0;    // all of them
    std::vector<std::string> warnings;   // about an input as a whole (one page of a longer list)

    std::int64_t count(Outcome o) const { return counts[static_cast<std::size_t>(o)]; }
    void add(const ReplayResult& other);
};

// Applies every event of `source` inside the caller's write transaction (so `stripe sync` can
// commit its cursor with them). Throws Error (exit 2) on malformed input, naming the input and
// the byte offset; the caller's transaction then rolls back.
ReplayResult apply_events(db::Database& db, EventSource& source, const ReplayOptions& options);

// The events stored as needs_attention, from their kept payloads, so they can be tried again;
// read a page at a time, so memory stays flat however many there are.
std::unique_ptr<EventSource> stored_needing_attention(db::Database& db);

// Replays each input in its own transaction (files, or "-" for stdin), after the stored events
// needing attention with RetryStored::yes; with --dry-run all in one transaction that is
// rolled back. Requires the tool's tables (else refuses, exit 4).
ReplayResult replay_inputs(db::Database& db, const std::vector<std::string>& inputs, RetryStored retry_stored,
                           DryRun dry_run, const ReplayOptions& options);

}  // namespace quicktools::stripe
