#pragma once
// Where Stripe events come from: a file or stdin read in chunks (so memory stays flat however
// large the input), or events already in memory (for example fetched from the Events API).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace quicktools::stripe {

// Readable bytes after a padded event's text (what simdjson needs to parse in place).
inline constexpr std::size_t raw_event_padding = 64;

// The largest event read (and the largest webhook body checked). Stripe's events are a few
// kilobytes; a larger one is refused, so one bad event cannot take the memory of the run.
inline constexpr std::size_t max_event_bytes = 4 * 1024 * 1024;

// One event's raw JSON text and where it starts in its input.
struct RawEvent {
    std::string_view text;    // valid until the next call to next()
    std::int64_t offset = 0;  // byte offset of the event's '{' in its input
    bool padded = false;      // raw_event_padding readable bytes follow text
};

// A sequence of raw events. next() throws Error (exit 2) on malformed or truncated input.
class EventSource {
public:
    virtual ~EventSource() = default;
    // Fills `event` with the next event and returns true, or returns false at the end.
    virtual bool next(RawEvent& event) = 0;
    // The input's name for messages ("events.json", "stdin").
    virtual const std::string& name() const = 0;
    // Where an offset is, for messages: "byte N" (and "line L" when the reader knows it).
    virtual std::string where(std::int64_t offset) const;
    // True when next() only reads a regular file: it never waits on a person or another process,
    // so replay may read and parse ahead on a second thread.
    virtual bool regular_file() const { return false; }
    // True once the input turned out to be a list object saying `"has_more": true`: one page.
    virtual bool more_pages() const { return false; }
};

// Reads a single event object, an array of events, a list object ({"object":"list","data":[...]}),
// or newline-delimited (or simply concatenated) event objects, from a file or "-" (stdin).
// Only one event (and one chunk) is held in memory at a time. Throws Error if it cannot open,
// and usage_error (exit 2) for an event larger than max_event_bytes.
class StreamEventReader : public EventSource {
public:
    // `max_event`: the size limit of one event (smaller in the fuzz target, to reach it).
    explicit StreamEventReader(const std::string& path, std::size_t chunk_size = 1 << 20,
                               std::size_t max_event = max_event_bytes);
    ~StreamEventReader() override;
    StreamEventReader(const StreamEventReader&) = delete;
    StreamEventReader& operator=(const StreamEventReader&) = delete;

    bool next(RawEvent& event) override;
    const std::string& name() const override { return m_name; }
    std::string where(std::int64_t offset) const override;
    bool regular_file() const override { return m_regular; }
    bool more_pages() const override { return m_more_pages; }
    // Bytes read so far (for progress).
    std::int64_t bytes_read() const { return m_base + static_cast<std::int64_t>(m_len); }

private:
    enum class State {
        start,
        after_top,
        array_first,
        array_after_elem,
        array_elem,
        keys_first,
        keys_after_value,
        key_required,
        done
    };
    bool fill();
    int char_at(std::int64_t pos);
    int skip_ws();
    std::int64_t value_end(std::int64_t start);
    bool step_array(RawEvent& event);
    bool step_keys(RawEvent& event);
    bool finish_object(RawEvent& event);
    [[noreturn]] void fail(std::int64_t offset, const std::string& what) const;

    std::string m_name;
    int m_fd = -1;
    bool m_owned = false;
    bool m_regular = false;
    bool m_eof = false;
    bool m_more_pages = false;
    std::size_t m_chunk;
    std::size_t m_max_event;
    std::string m_buf;  // m_buf[0, m_len) holds bytes [m_base, m_base + m_len) of the input
    std::size_t m_len = 0;
    std::int64_t m_base = 0;
    std::int64_t m_keep = 0;  // bytes before this may be dropped from the buffer
    std::int64_t m_pos = 0;   // scan position (absolute)
    std::int64_t m_lines_dropped = 0;
    std::int64_t m_object_start = 0;
    bool m_in_list = false;  // inside the "data" array of a top-level list object
    State m_state = State::start;
};

// Events already in memory, one JSON text each (the order is kept).
class MemoryEventSource : public EventSource {
public:
    MemoryEventSource(std::string name, std::vector<std::string> events);
    bool next(RawEvent& event) override;
    const std::string& name() const override { return m_name; }

private:
    std::string m_name;
    std::vector<std::string> m_events;
    std::size_t m_next = 0;
};

}  // namespace quicktools::stripe
