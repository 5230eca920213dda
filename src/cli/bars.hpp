#pragma once
// Horizontal bar charts for the terminal: unicode block bars scaled to a width (Context::width:
// the terminal's, else $COLUMNS, else 80), coloured only when asked.
#include <cstdint>
#include <string>
#include <vector>

namespace quicktools::cli {

struct BarRow {
    std::string label;
    std::int64_t value = 0;
    std::string note;  // printed after the number, before the bar (may be empty)
};

// One line per row: label, value, note, then a bar proportional to value (the largest value
// fills the rest of `width`). `colour` adds ANSI colour to the bars.
std::string bar_chart(const std::vector<BarRow>& rows, int width, bool colour);

}  // namespace quicktools::cli
