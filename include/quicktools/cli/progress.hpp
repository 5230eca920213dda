#pragma once
// Progress of long work on stderr: count, rate and time left, redrawn in place. Made by
// Context::progress, which turns it off when stderr is not a terminal (cron, CI, pipes) or with
// --quiet; the core is handed callback() and never draws anything itself.
#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

#include "quicktools/util/progress.hpp"

namespace quicktools::cli {

class ProgressBar {
public:
    // Draws on `err`, or nothing when it is null. `total` 0: not known (no time left shown).
    ProgressBar(std::ostream* err, std::string label, std::int64_t total = 0);
    // Ends the line of a bar that was drawn but not finished (the work failed half-way).
    ~ProgressBar();
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    // The count done so far (and the count in all, when it becomes known: 0 keeps the one
    // before); redraws at most five times a second.
    void advance(std::int64_t done, std::int64_t total = 0);
    // Draws the final line, if the work advanced at all, and moves to the next line.
    void finish();
    // advance() as the core's callback; valid while this bar lives.
    util::ProgressCallback callback();

private:
    void draw(bool final_line);
    std::ostream* m_err;
    std::string m_label;
    std::int64_t m_total;
    std::int64_t m_done = 0;
    bool m_started = false;
    bool m_finished = false;
    std::chrono::steady_clock::time_point m_start;
    std::chrono::steady_clock::time_point m_last_draw;
};

}  // namespace quicktools::cli
