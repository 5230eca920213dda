// The replay loop: read, parse, skip what was applied before, apply, record.
#include "quicktools/stripe/replay.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <limits>
#include <unordered_set>

#include "applier.hpp"
#include "read_ahead.hpp"
#include "quicktools/credits/ledger.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/util/interrupt.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::stripe {

std::string_view to_string(Outcome outcome) {
    switch (outcome) {
        case Outcome::credited: return "credited";
        case Outcome::duplicate: return "duplicate";
        case Outcome::pending: return "pending";
        case Outcome::ignored: return "ignored";
        case Outcome::needs_attention: return "needs_attention";
        case Outcome::refunded: return "refunded";
        case Outcome::disputed: return "disputed";
        case Outcome::payment_failed: return "payment_failed";
        case Outcome::restored: return "restored";
        case Outcome::reported: return "reported";
    }
    return "unknown";
}

void ReplayResult::add(const ReplayResult& other) {
    events += other.events;
    for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
    retried += other.retried;
    credits_added += other.credits_added;
    credits_clawed_back += other.credits_clawed_back;
    credits_restored += other.credits_restored;
    credits_shortfall += other.credits_shortfall;
    attention_total += other.attention_total;
    for (const auto& a : other.attention)
        if (attention.size() < max_attention_listed) attention.push_back(a);
    warnings.insert(warnings.end(), other.warnings.begin(), other.warnings.end());
}

namespace detail {

std::optional<std::optional<std::string>> Applier::Prefetched::known(const std::string& id) const {
    if (asked.count(id) == 0 || written.count(id) > 0) return std::nullopt;
    const auto it = found.find(id);
    if (it == found.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
}

void Applier::Prefetched::clear() {
    asked.clear();
    found.clear();
    written.clear();
}

void Applier::prefetch(const std::vector<ParsedEvent>& batch) {
    if (m_db.engine() != db::Engine::postgres) return;  // SQLite: a lookup is no round trip
    m_prefetched_events.clear();
    m_prefetched_sessions.clear();
    // The ids as JSON arrays of strings (one parameter each, whatever the batch's size). An id
    // with a NUL character, which no text parameter can carry, is left to the one-by-one lookup.
    auto events = nlohmann::json::array();
    auto sessions = nlohmann::json::array();
    const auto ask = [](Prefetched& p, nlohmann::json& ids, const std::string& id) {
        if (id.empty() || id.find('\0') != std::string::npos || !p.asked.insert(id).second) return;
        ids.push_back(id);
    };
    for (const auto& parsed : batch) {
        ask(m_prefetched_events, events, parsed.event.id);
        if (parsed.event.object_type == "checkout.session")
            ask(m_prefetched_sessions, sessions, parsed.event.object_id);
    }
    if (!m_prefetch) m_prefetch.emplace(m_db, sql::query(m_db.engine(), "stripe", "events_and_sessions_stored"));
    auto& q = *m_prefetch;
    q.reset();
    q.bind(1, events.dump());
    q.bind(2, sessions.dump());
    const int kind = q.column_index("kind");
    const int id = q.column_index("id");
    const int value = q.column_index("value");
    while (q.step()) {
        auto& into = q.column(kind).text() == "event" ? m_prefetched_events : m_prefetched_sessions;
        into.found.emplace(q.column(id).text(), q.column(value).text());
    }
    q.reset();
}

std::optional<std::string> Applier::stored_outcome(const std::string& event_id) {
    if (auto known = m_prefetched_events.known(event_id)) return *known;
    m_event_get.reset();
    m_event_get.bind(1, event_id);
    if (!m_event_get.step()) return std::nullopt;
    auto outcome = m_event_get.column(m_event_outcome).text();
    m_event_get.reset();
    return outcome;
}

namespace {

// Binds text, or NULL when it is empty.
void bind_text(db::Statement& q, int index, std::string_view text) {
    if (text.empty())
        q.bind_null(index);
    else
        q.bind(index, text);
}

}  // namespace

void Applier::record(const Event& e, const Decision& d, std::string_view payload, bool seen_before) {
    m_prefetched_events.written.insert(e.id);
    auto& q = seen_before ? m_event_update : m_event_insert;
    q.reset();
    const std::string outcome(to_string(d.outcome));
    const auto kept = d.outcome == Outcome::needs_attention ? payload : std::string_view();
    if (seen_before) {
        q.bind(1, outcome);
        bind_text(q, 2, d.detail);
        bind_text(q, 3, kept);
        q.bind(4, m_now);
        q.bind(5, e.id);
    } else {
        q.bind(1, e.id);
        q.bind(2, e.type);
        q.bind(3, e.created);
        q.bind(4, e.livemode ? 1 : 0);
        bind_text(q, 5, e.object_id);
        q.bind(6, outcome);
        bind_text(q, 7, d.detail);
        bind_text(q, 8, kept);
        q.bind(9, m_now);
        bind_text(q, 10, e.api_version);
    }
    q.exec_pipelined();
}

}  // namespace detail

ReplayResult apply_events(db::Database& db, EventSource& source, const ReplayOptions& options) {
    detail::Applier applier(db, options, util::now_timestamp());
    detail::ParsedEvents events(source);
    ReplayResult result;
    std::unordered_set<std::string> attention_this_run;  // so a repeated delivery is reported once
    EventParser fetched_parser;
    Event fetched;
    std::string fetched_text;
    std::uint64_t batch = 0;
    while (const auto* parsed = events.next()) {
        util::throw_if_interrupted();
        if (events.batch_number() != batch) {
            batch = events.batch_number();
            applier.prefetch(events.batch());
        }
        const Event* current = &parsed->event;
        std::string_view text = parsed->text;
        std::string fetch_failure;
        if (options.fetch_event && current->unknown_shape.find("thin event") != std::string::npos) {
            fetched_text = options.fetch_event(current->id, fetch_failure);
            if (!fetched_text.empty()) {
                if (auto why = fetched_parser.parse(fetched_text, fetched); !why.empty())
                    fetch_failure = "Stripe's event is " + why;
                else if (fetched.id != current->id)
                    fetch_failure = fmt::format("Stripe answered with event {}", fetched.id);
                else {
                    current = &fetched;
                    text = fetched_text;
                }
            }
        }
        const Event& event = *current;
        ++result.events;
        if (options.progress && result.events % 4096 == 0) options.progress(result.events);
        const auto stored = applier.stored_outcome(event.id);
        detail::Decision d;
        if ((stored && *stored != "needs_attention") || attention_this_run.count(event.id) > 0) {
            d = {Outcome::duplicate, {}, false, 0, 0, 0};
        } else {
            d = applier.apply(event);
            if (!fetch_failure.empty()) d.detail += "; fetching it failed: " + fetch_failure;
            if (stored) ++result.retried;
            if (!(stored && d.other_mode)) applier.record(event, d, text, stored.has_value());
            if (d.outcome == Outcome::needs_attention) attention_this_run.insert(event.id);
        }
        ++result.counts[static_cast<std::size_t>(d.outcome)];
        result.credits_added += d.credits_added;
        result.credits_clawed_back += d.clawed_back;
        result.credits_restored += d.restored;
        result.credits_shortfall += d.shortfall;
        if (d.attention && ++result.attention_total <= static_cast<std::int64_t>(max_attention_listed))
            result.attention.push_back({event.id, event.type, d.outcome, d.detail});
        if (options.batch > 0 && options.commit_batch && result.events % options.batch == 0) {
            applier.flush();
            db.sync();
            options.commit_batch(result.events);
            applier.take_writer_lock();  // the lock ended with the committed transaction
        }
    }
    applier.flush();
    db.sync();  // the writes still on their way (PostgreSQL's pipeline): a failure among them is this input's
    if (options.progress) options.progress(result.events);
    return result;
}

namespace {

// The stored needs-attention events, a page at a time in (created, event_id) order. Events
// that still need attention after their retry are behind the cursor, so each comes once.
class StoredEventSource : public EventSource {
public:
    explicit StoredEventSource(db::Database& db)
        : m_query(db, sql::query(db.engine(), "stripe", "events_needing_attention")) {}

    bool next(RawEvent& event) override {
        if (m_next == m_page.size()) {
            if (m_done) return false;
            load_page();
            if (m_page.empty()) return false;
        }
        event.text = m_page[m_next];
        event.offset = m_offset++;
        ++m_next;
        return true;
    }
    const std::string& name() const override { return m_name; }

private:
    static constexpr int page_size = 500;
    void load_page() {
        m_page.clear();
        m_next = 0;
        m_query.reset();
        m_query.bind(1, m_created);
        m_query.bind(2, m_event_id);
        m_query.bind(3, page_size);
        const int created = m_query.column_index("created");
        const int event_id = m_query.column_index("event_id");
        const int payload = m_query.column_index("payload");
        while (m_query.step()) {
            m_created = m_query.column(created).int64();
            m_event_id = m_query.column(event_id).text();
            m_page.push_back(m_query.column(payload).text());
        }
        m_query.reset();
        m_done = m_page.size() < static_cast<std::size_t>(page_size);
    }

    db::Statement m_query;
    std::string m_name = "the stored events needing attention";
    std::vector<std::string> m_page;
    std::size_t m_next = 0;
    std::int64_t m_created = std::numeric_limits<std::int64_t>::min();
    std::string m_event_id;
    std::int64_t m_offset = 0;
    bool m_done = false;
};

}  // namespace

std::unique_ptr<EventSource> stored_needing_attention(db::Database& db) {
    return std::make_unique<StoredEventSource>(db);
}

namespace {

constexpr const char* stored_events_name = "the stored events needing attention";

// Applies one input (a file, stdin, the stored events) in the caller's transaction. A failure
// says that nothing of it was applied: the caller rolls its transaction back.
ReplayResult apply_one(db::Database& db, const std::string& name, const std::function<ReplayResult()>& apply) {
    try {
        return apply();
    } catch (const Error& e) {
        if (e.code() == ExitCode::interrupted) throw;  // its message already says nothing changed
        throw Error(e.code(), fmt::format("{}; nothing from {} was applied", e.what(), name));
    } catch (const db::EngineError& e) {
        const Error error = db::translate(e, db.path(), db.busy_timeout_ms());
        if (error.code() == ExitCode::interrupted) throw error;
        throw Error(error.code(), fmt::format("{}; nothing from {} was applied", error.what(), name));
    }
}

ReplayResult apply_input(db::Database& db, const std::string& input, const ReplayOptions& options) {
    return apply_one(db, input == "-" ? "stdin" : input, [&] {
        StreamEventReader reader(input);
        auto result = apply_events(db, reader, options);
        if (reader.more_pages())
            result.warnings.push_back(fmt::format(
                "{} is one page of a longer list (has_more: true): the events after it were not in the input; "
                "`quicktools stripe sync` fetches them",
                reader.name()));
        return result;
    });
}

ReplayResult apply_stored(db::Database& db, const ReplayOptions& options) {
    return apply_one(db, stored_events_name, [&] {
        auto stored = stored_needing_attention(db);
        return apply_events(db, *stored, options);
    });
}

}  // namespace

ReplayResult replay_inputs(db::Database& db, const std::vector<std::string>& inputs, RetryStored retry_stored,
                           DryRun dry_run, const ReplayOptions& options) {
    credits::require_tool_tables(db);
    ReplayResult total;
    if (dry_run == DryRun::yes) {
        db::WriteTransaction tx(db);  // never committed: the destructor rolls everything back
        if (retry_stored == RetryStored::yes) total.add(apply_stored(db, options));
        for (const auto& input : inputs) total.add(apply_input(db, input, options));
        return total;
    }
    // Each input commits on its own (or in batches of events): a failure later must say which
    // ones are already in.
    std::vector<std::string> committed;
    const auto run = [&](const std::string& name, const std::function<ReplayResult(const ReplayOptions&)>& apply) {
        std::int64_t committed_events = 0;  // of this input, with --batch
        try {
            db::WriteTransaction tx(db);
            ReplayOptions batched = options;
            batched.commit_batch = [&](std::int64_t events) {
                tx.commit_and_continue();
                committed_events = events;
            };
            auto result = apply(batched);
            tx.commit();
            total.add(result);
            committed.push_back(name);
        } catch (const std::exception& e) {
            if (committed.empty() && committed_events == 0) throw;
            const Error error = dynamic_cast<const Error*>(&e) != nullptr
                                    ? *dynamic_cast<const Error*>(&e)
                                    : db::translate(e, db.path(), db.busy_timeout_ms());
            std::string before;
            if (committed_events > 0)
                before = fmt::format(
                    "the first {} events of {} were applied and committed (--batch {}); running the "
                    "command again applies the rest",
                    committed_events, name, options.batch);
            if (!committed.empty())
                before += fmt::format("{}{} {} already applied and committed", before.empty() ? "" : "; ",
                                      fmt::join(committed, ", "), committed.size() == 1 ? "was" : "were");
            if (error.code() == ExitCode::interrupted)
                throw Error(ExitCode::interrupted,
                            fmt::format("interrupted during {}: {}; {}", name,
                                        committed_events > 0 ? "its batch in progress was not applied"
                                                             : "nothing from it was applied",
                                        before));
            std::string what = error.what();
            if (committed_events > 0) {
                // "nothing from X was applied" is true of the batch in progress only.
                const std::string nothing = fmt::format("; nothing from {} was applied", name);
                if (const auto at = what.rfind(nothing); at != std::string::npos) what.erase(at);
                what += "; the batch in progress was not applied";
            }
            throw Error(error.code(), fmt::format("{}; {}", what, before));
        }
    };
    if (retry_stored == RetryStored::yes)
        run(stored_events_name, [&](const ReplayOptions& o) { return apply_stored(db, o); });
    for (const auto& input : inputs)
        run(input == "-" ? "stdin" : input, [&](const ReplayOptions& o) { return apply_input(db, input, o); });
    return total;
}

}  // namespace quicktools::stripe
