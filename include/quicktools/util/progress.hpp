#pragma once
// Progress on stderr for long work: count, rate and time left, redrawn in place on a terminal;
// silent when stderr is not a terminal (cron, CI, pipes) or when disabled.
#include <chrono>
#include <cstdint>
#include <string>

namespace quicktools::util {

class Progress {
public:
    // `total` may be 0 when unknown (then no time left is shown).
    Progress(std::string label, std::int64_t total, bool enabled);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // Sets the count done so far; redraws at most a few times a second.
    void update(std::int64_t done);
    // Draws the final line and moves to the next line.
    void finish();

    // True when stderr is a terminal (the default for `enabled`).
    static bool stderr_is_terminal();

private:
    void draw(bool final_line);
    std::string m_label;
    std::int64_t m_total;
    std::int64_t m_done = 0;
    bool m_enabled;
    bool m_finished = false;
    std::chrono::steady_clock::time_point m_start;
    std::chrono::steady_clock::time_point m_last_draw;
};

}  // namespace quicktools::util
