#include "quicktools/cli/progress.hpp"

#include <fmt/format.h>

namespace quicktools::cli {

ProgressBar::ProgressBar(std::ostream* err, std::string label, std::int64_t total)
    : m_err(err),
      m_label(std::move(label)),
      m_total(total),
      m_start(std::chrono::steady_clock::now()),
      m_last_draw(m_start) {}

ProgressBar::~ProgressBar() {
    if (m_err != nullptr && !m_finished && m_done > 0) *m_err << '\n' << std::flush;
}

void ProgressBar::advance(std::int64_t done, std::int64_t total) {
    m_started = true;
    m_done = done;
    if (total > 0) m_total = total;
    if (m_err == nullptr) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - m_last_draw < std::chrono::milliseconds(200)) return;
    m_last_draw = now;
    draw(false);
}

void ProgressBar::finish() {
    if (m_err == nullptr || m_finished || !m_started) return;
    m_finished = true;
    draw(true);
}

util::ProgressCallback ProgressBar::callback() {
    return [this](std::int64_t done, std::int64_t total) { advance(done, total); };
}

void ProgressBar::draw(bool final_line) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    const double rate = seconds > 0 ? static_cast<double>(m_done) / seconds : 0.0;
    std::string line = fmt::format("\r{}: {}", m_label, m_done);
    if (m_total > 0)
        line +=
            fmt::format("/{} ({:.0f}%)", m_total, 100.0 * static_cast<double>(m_done) / static_cast<double>(m_total));
    line += fmt::format(", {:.0f}/s", rate);
    if (!final_line && m_total > 0 && rate > 0)
        line += fmt::format(", {:.0f}s left", static_cast<double>(m_total - m_done) / rate);
    if (final_line) line += fmt::format(", done in {:.1f}s", seconds);
    line += "\x1b[K";
    if (final_line) line += "\n";
    *m_err << line << std::flush;
}

}  // namespace quicktools::cli
