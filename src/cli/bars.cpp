#include "bars.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace quicktools::cli {
namespace {

constexpr const char* eighths[] = {"", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589"};
constexpr const char* full_block = "\u2588";

// A bar of `eighths_long` eighths of a column.
std::string bar(std::int64_t eighths_long) {
    std::string out;
    for (std::int64_t i = 0; i < eighths_long / 8; ++i) out += full_block;
    out += eighths[eighths_long % 8];
    return out;
}

}  // namespace

std::string bar_chart(const std::vector<BarRow>& rows, int width, bool colour) {
    std::size_t label_width = 0, value_width = 0, note_width = 0;
    std::int64_t largest = 0;
    for (const auto& row : rows) {
        label_width = std::max(label_width, row.label.size());
        value_width = std::max(value_width, fmt::format("{}", row.value).size());
        note_width = std::max(note_width, row.note.size());
        largest = std::max(largest, row.value);
    }
    const auto used = static_cast<int>(2 + label_width + 1 + value_width + 1 + (note_width ? note_width + 1 : 0));
    const std::int64_t columns = std::max(10, width - used - 1);
    std::string out;
    for (const auto& row : rows) {
        out += fmt::format("  {:<{}} {:>{}}", row.label, label_width, row.value, value_width);
        if (note_width) out += fmt::format(" {:<{}}", row.note, note_width);
        const std::int64_t length = largest > 0 ? (std::max<std::int64_t>(row.value, 0) * columns * 8) / largest : 0;
        if (length > 0) out += colour ? " \x1b[36m" + bar(length) + "\x1b[0m" : " " + bar(length);
        while (out.back() == ' ') out.pop_back();
        out += '\n';
    }
    return out;
}

}  // namespace quicktools::cli
