#pragma once
// Small text helpers shared by the parsers.
#include <string_view>

namespace quicktools::util {

// `s` without the leading and trailing characters found in `chars` (by default spaces and tabs).
std::string_view trim(std::string_view s, std::string_view chars = " \t");

}  // namespace quicktools::util
