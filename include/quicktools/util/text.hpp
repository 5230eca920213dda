#pragma once
// Small text helpers shared by the parsers.
#include <string_view>

namespace quicktools::util {

// `s` without the leading and trailing characters found in `chars` (by default spaces and tabs).
std::string_view trim(std::string_view s, std::string_view chars = " \t");

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF):
// text the web app, the JSON output and a person's terminal can all show. simdjson's validator.
bool valid_utf8(std::string_view s);

}  // namespace quicktools::util
