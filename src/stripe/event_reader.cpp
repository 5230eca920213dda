// A byte scanner that finds each event object's extent (tracking strings, escapes and depth)
// without parsing it; event.cpp parses each event on its own.
#include "quicktools/stripe/event_reader.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "quicktools/error.hpp"
#include "quicktools/util/interrupt.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::stripe {
namespace {

// Newlines in [p, p + n), with memchr (vectorised) since most inputs have few of them.
std::int64_t count_newlines(const char* p, std::size_t n) {
    std::int64_t lines = 0;
    const char* end = p + n;
    while (p < end) {
        const void* q = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
        if (q == nullptr) break;
        ++lines;
        p = static_cast<const char*>(q) + 1;
    }
    return lines;
}

bool is_space(int c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
bool is_scalar_char(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '+' || c == '.' || c == 'E';
}

}  // namespace

std::string EventSource::where(std::int64_t offset) const { return fmt::format("byte {}", offset); }

StreamEventReader::StreamEventReader(const std::string& path, std::size_t chunk_size, std::size_t max_event)
    : m_name(path == "-" ? "stdin" : path), m_chunk(chunk_size), m_max_event(max_event) {
    if (path == "-") {
        m_fd = STDIN_FILENO;
        return;
    }
    m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (m_fd < 0) throw usage_error(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    m_owned = true;
    struct stat st {};
    m_regular = ::fstat(m_fd, &st) == 0 && S_ISREG(st.st_mode);
}

StreamEventReader::~StreamEventReader() {
    if (m_owned) ::close(m_fd);
}

std::string StreamEventReader::where(std::int64_t offset) const {
    if (offset < m_base) return fmt::format("byte {}", offset);
    const auto upto = std::min<std::size_t>(static_cast<std::size_t>(offset - m_base), m_len);
    const auto lines = m_lines_dropped + count_newlines(m_buf.data(), upto);
    return fmt::format("byte {} (line {})", offset, lines + 1);
}

void StreamEventReader::fail(std::int64_t offset, const std::string& what) const {
    throw usage_error(fmt::format("{}: {} at {}", m_name, what, where(offset)));
}

// Drops what is no longer needed and appends the next chunk; false at the end of the input.
bool StreamEventReader::fill() {
    if (m_eof) return false;
    const auto drop = static_cast<std::size_t>(m_keep - m_base);
    if (drop > 0) {
        m_lines_dropped += count_newlines(m_buf.data(), drop);
        std::memmove(m_buf.data(), m_buf.data() + drop, m_len - drop);
        m_len -= drop;
        m_base = m_keep;
    }
    // Everything still held belongs to the event being read (or the value being skipped): past
    // the limit, it is refused before more is read, so memory stays bounded whatever the input.
    if (m_len > m_max_event)
        fail(m_keep, fmt::format("an event is larger than {}, the limit for one event (Stripe's are a few KiB)",
                                 util::size_text(m_max_event)));
    // Grown only when needed (resizing zero-fills), always with the padding after the data.
    if (m_buf.size() < m_len + m_chunk + raw_event_padding) m_buf.resize(m_len + m_chunk + raw_event_padding);
    const auto old = m_len;
    // Ctrl-C while waiting on a pipe or terminal ends the read.
    const std::size_t n = util::read_some(m_fd, m_buf.data() + old, m_chunk, m_name);
    m_len = old + n;
    if (n == 0) m_eof = true;
    return n > 0;
}

int StreamEventReader::char_at(std::int64_t pos) {
    while (pos >= m_base + static_cast<std::int64_t>(m_len))
        if (!fill()) return -1;
    return static_cast<unsigned char>(m_buf[static_cast<std::size_t>(pos - m_base)]);
}

int StreamEventReader::skip_ws() {
    int c = char_at(m_pos);
    while (is_space(c)) c = char_at(++m_pos);
    return c;
}

// The offset just past the JSON value starting at `start` (loosely checked: the parser checks
// each event; here only strings, escapes and nesting matter).
std::int64_t StreamEventReader::value_end(std::int64_t start) {
    const int first = char_at(start);
    if (first != '"' && first != '{' && first != '[') {
        std::int64_t i = start;
        while (is_scalar_char(char_at(i))) ++i;
        if (i == start)
            fail(start, first < 0 ? "the input ends early"
                                  : fmt::format("unexpected character '{}'", static_cast<char>(first)));
        return i;
    }
    int depth = 0;
    bool in_string = false;
    std::int64_t string_start = 0;
    std::int64_t i = start;
    for (;;) {
        if (i >= m_base + static_cast<std::int64_t>(m_len) && !fill())
            fail(i, fmt::format("the input ends inside the value that starts at byte {} (truncated?)", start));
        const char* data = m_buf.data();
        const auto n = m_len;
        auto k = static_cast<std::size_t>(i - m_base);
        while (k < n) {
            if (in_string) {
                const void* q = std::memchr(data + k, '"', n - k);
                if (q == nullptr) {
                    k = n;
                    break;
                }
                k = static_cast<std::size_t>(static_cast<const char*>(q) - data);
                // An odd run of backslashes before the quote escapes it.
                std::size_t backslashes = 0;
                while (static_cast<std::int64_t>(k - backslashes) - 1 + m_base >= string_start &&
                       data[k - backslashes - 1] == '\\')
                    ++backslashes;
                ++k;
                if (backslashes % 2 == 1) continue;
                in_string = false;
                if (depth == 0) return m_base + static_cast<std::int64_t>(k);
                continue;
            }
            switch (data[k++]) {
                case '"':
                    in_string = true;
                    string_start = m_base + static_cast<std::int64_t>(k);
                    break;
                case '{':
                case '[': ++depth; break;
                case '}':
                case ']':
                    if (--depth == 0) return m_base + static_cast<std::int64_t>(k);
                    break;
                default: break;
            }
        }
        i = m_base + static_cast<std::int64_t>(n);
    }
}

bool StreamEventReader::next(RawEvent& event) {
    for (;;) {
        m_keep =
            (m_state == State::keys_first || m_state == State::keys_after_value || m_state == State::key_required) &&
                    !m_in_list
                ? m_object_start
                : m_pos;
        switch (m_state) {
            case State::done: return false;
            case State::start:
            case State::after_top: {
                const int c = skip_ws();
                if (c < 0) {
                    if (m_state == State::start)
                        fail(m_pos, "no JSON found (expected an event, an array of events, a list object or NDJSON)");
                    m_state = State::done;
                    return false;
                }
                if (c == '[' && m_state == State::start) {
                    ++m_pos;
                    m_state = State::array_first;
                } else if (c == '{') {
                    m_object_start = m_pos++;
                    m_state = State::keys_first;
                } else if (m_state == State::start) {
                    fail(m_pos, "expected a JSON object or array");
                } else {
                    fail(m_pos, "expected the next event object or the end of the input");
                }
                break;
            }
            case State::array_first:
            case State::array_after_elem:
            case State::array_elem:
                if (step_array(event)) return true;
                break;
            case State::keys_first:
            case State::keys_after_value:
            case State::key_required:
                if (step_keys(event)) return true;
                break;
        }
    }
}

bool StreamEventReader::step_array(RawEvent& event) {
    const int c = skip_ws();
    if (c < 0) fail(m_pos, "the input ends inside the array of events (truncated?)");
    if (c == ']' && m_state != State::array_elem) {
        ++m_pos;
        m_state = m_in_list ? State::keys_after_value : State::after_top;
        // After a top-level array only whitespace may follow.
        if (!m_in_list && skip_ws() >= 0) fail(m_pos, "unexpected data after the array of events");
        return false;
    }
    if (m_state == State::array_after_elem) {
        if (c != ',') fail(m_pos, "expected ',' or ']' after an event");
        ++m_pos;
        m_state = State::array_elem;
        return false;
    }
    if (c != '{') fail(m_pos, "expected an event object in the array");
    const auto start = m_pos;
    m_keep = start;
    m_pos = value_end(start);
    event.text = std::string_view(m_buf).substr(static_cast<std::size_t>(start - m_base),
                                                static_cast<std::size_t>(m_pos - start));
    event.offset = start;
    event.padded = true;
    m_state = State::array_after_elem;
    return true;
}

bool StreamEventReader::step_keys(RawEvent& event) {
    int c = skip_ws();
    if (c < 0)
        fail(m_pos,
             fmt::format("the input ends inside the object that starts at byte {} (truncated?)", m_object_start));
    if (c == '}' && m_state != State::key_required) return finish_object(event);
    if (m_state == State::keys_after_value) {
        if (c != ',') fail(m_pos, "expected ',' or '}'");
        ++m_pos;
        m_state = State::key_required;
        return false;
    }
    if (c != '"') fail(m_pos, "expected a key in quotes");
    const auto key_start = m_pos;
    m_pos = value_end(key_start);
    const auto key_is = [&](std::string_view quoted) {
        return m_pos - key_start == static_cast<std::int64_t>(quoted.size()) &&
               m_buf.compare(static_cast<std::size_t>(key_start - m_base), quoted.size(), quoted) == 0;
    };
    const bool is_data = key_is("\"data\"");
    const bool is_has_more = key_is("\"has_more\"");
    if (skip_ws() != ':') fail(m_pos, "expected ':' after a key");
    ++m_pos;
    c = skip_ws();
    if (c < 0) fail(m_pos, "the input ends after a key (truncated?)");
    // Only a list object has "has_more" at its top: true means the input is one page of more.
    if (is_has_more && c == 't') m_more_pages = true;
    if (is_data && c == '[' && !m_in_list) {
        // A list object: stream the events of its data array.
        m_in_list = true;
        ++m_pos;
        m_state = State::array_first;
        return false;
    }
    m_pos = value_end(m_pos);
    m_state = State::keys_after_value;
    return false;
}

bool StreamEventReader::finish_object(RawEvent& event) {
    ++m_pos;
    m_state = State::after_top;
    if (m_in_list) {
        m_in_list = false;
        return false;
    }
    event.text = std::string_view(m_buf).substr(static_cast<std::size_t>(m_object_start - m_base),
                                                static_cast<std::size_t>(m_pos - m_object_start));
    event.offset = m_object_start;
    event.padded = true;
    return true;
}

MemoryEventSource::MemoryEventSource(std::string name, std::vector<std::string> events)
    : m_name(std::move(name)), m_events(std::move(events)) {}

bool MemoryEventSource::next(RawEvent& event) {
    if (m_next >= m_events.size()) return false;
    event.text = m_events[m_next];
    event.offset = static_cast<std::int64_t>(m_next);
    ++m_next;
    return true;
}

}  // namespace quicktools::stripe
