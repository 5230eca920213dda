#include "quicktools/util/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace quicktools::util {

Progress::Progress(std::string label, std::int64_t total, bool enabled)
    : m_label(std::move(label)), m_total(total), m_enabled(enabled), m_start(std::chrono::steady_clock::now()),
      m_last_draw(m_start) {}

Progress::~Progress() {
    if (m_enabled && !m_finished && m_done > 0) std::fputs("\n", stderr);
}

bool Progress::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

void Progress::update(std::int64_t done) {
    m_done = done;
    if (!m_enabled) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - m_last_draw < std::chrono::milliseconds(200)) return;
    m_last_draw = now;
    draw(false);
}

void Progress::finish() {
    if (!m_enabled || m_finished) return;
    m_finished = true;
    draw(true);
}

void Progress::draw(bool final_line) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    const double rate = seconds > 0 ? static_cast<double>(m_done) / seconds : 0.0;
    std::string line = fmt::format("\r{}: {}", m_label, m_done);
    if (m_total > 0)
        line += fmt::format("/{} ({:.0f}%)", m_total, 100.0 * static_cast<double>(m_done) / static_cast<double>(m_total));
    line += fmt::format(", {:.0f}/s", rate);
    if (!final_line && m_total > 0 && rate > 0)
        line += fmt::format(", {:.0f}s left", static_cast<double>(m_total - m_done) / rate);
    if (final_line) line += fmt::format(", done in {:.1f}s", seconds);
    line += "\x1b[K";
    if (final_line) line += "\n";
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
}

}  // namespace quicktools::util
