#include "read_ahead.hpp"

#include <fmt/format.h>
#include <signal.h>

#include <system_error>
#include <utility>

#include "quicktools/error.hpp"

namespace quicktools::stripe::detail {
namespace {

// Events per hand-over between the threads, and batches the reader may be ahead: about 1 MB of
// event text in flight at most, a small part of the 64 MB the tool allows itself.
constexpr std::size_t events_per_batch = 64;
constexpr std::size_t batches_ahead = 4;

}  // namespace

ParsedEvents::ParsedEvents(EventSource& source) : m_source(source) {
    if (!source.regular_file()) return;
    try {
        m_thread = std::thread([this] { read_ahead(); });
    } catch (const std::system_error&) {
        // No thread to be had (a process limit): the events are read on this thread instead.
    }
}

ParsedEvents::~ParsedEvents() {
    if (!m_thread.joinable()) return;
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_changed.notify_all();
    m_thread.join();
}

// Reads and parses up to `size` events into `batch`; an error ends the batch and the input.
void ParsedEvents::fill(Batch& batch, std::size_t size) {
    batch.events.clear();
    try {
        batch.events.reserve(size);
        while (batch.events.size() < size) {
            if (!m_source.next(m_raw)) {
                batch.last = true;
                return;
            }
            auto& parsed = batch.events.emplace_back();
            if (auto why = m_parser.parse(m_raw.text, parsed.event, m_raw.padded); !why.empty()) {
                batch.events.pop_back();
                throw usage_error(
                    fmt::format("{}: {} in the event at {}", m_source.name(), why, m_source.where(m_raw.offset)));
            }
            parsed.text.assign(m_raw.text);
            parsed.offset = m_raw.offset;
        }
    } catch (...) {
        batch.error = std::current_exception();
        batch.last = true;
    }
}

void ParsedEvents::read_ahead() {
    // Signals (Ctrl-C, SIGTERM) stay with the main thread, which rolls back and exits.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    for (;;) {
        Batch batch;
        fill(batch, events_per_batch);
        const bool last = batch.last;
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [this] { return m_stop || m_ready.size() < batches_ahead; });
        if (m_stop) return;
        m_ready.push_back(std::move(batch));
        lock.unlock();
        m_changed.notify_all();
        if (last) return;
    }
}

const ParsedEvent* ParsedEvents::next() {
    while (m_next == m_current.events.size()) {
        if (m_current.error) std::rethrow_exception(std::exchange(m_current.error, nullptr));
        if (m_current.last) return nullptr;
        m_next = 0;
        ++m_batch_number;
        if (!m_thread.joinable()) {
            fill(m_current, 1);
            continue;
        }
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [this] { return !m_ready.empty(); });
        m_current = std::move(m_ready.front());
        m_ready.pop_front();
        lock.unlock();
        m_changed.notify_all();
    }
    return &m_current.events[m_next++];
}

}  // namespace quicktools::stripe::detail
