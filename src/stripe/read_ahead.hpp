#pragma once
// Internal to src/stripe/: the events of one input, read and parsed for the replay loop. From a
// regular file a second thread reads and parses batches ahead, so simdjson's work overlaps the
// database's; from stdin or the stored events it all happens on the caller's thread.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "quicktools/stripe/event.hpp"
#include "quicktools/stripe/event_reader.hpp"

namespace quicktools::stripe::detail {

struct ParsedEvent {
    Event event;
    std::string text;  // the event's JSON, stored with events that need attention
    std::int64_t offset = 0;
};

class ParsedEvents {
public:
    explicit ParsedEvents(EventSource& source);
    ~ParsedEvents();  // stops the reading thread, if any, and waits for it
    ParsedEvents(const ParsedEvents&) = delete;
    ParsedEvents& operator=(const ParsedEvents&) = delete;

    // The next event, or nullptr after the last; throws what reading or parsing threw (a
    // malformed event names the input and where), after the events before it.
    const ParsedEvent* next();
    // The batch the last event of next() belongs to (the events it was read with), and its
    // number: it changes when next() moves to another batch.
    const std::vector<ParsedEvent>& batch() const { return m_current.events; }
    std::uint64_t batch_number() const { return m_batch_number; }

private:
    struct Batch {
        std::vector<ParsedEvent> events;
        std::exception_ptr error;
        bool last = false;
    };
    void fill(Batch& batch, std::size_t size);
    void read_ahead();

    EventSource& m_source;
    EventParser m_parser;
    RawEvent m_raw;
    Batch m_current;
    std::size_t m_next = 0;
    std::uint64_t m_batch_number = 0;

    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<Batch> m_ready;
    bool m_stop = false;
};

}  // namespace quicktools::stripe::detail
