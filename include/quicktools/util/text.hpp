#pragma once
// Small text helpers shared by the parsers and the text renderers.
#include <cstddef>
#include <string>
#include <string_view>

namespace quicktools::util {

// `s` without the leading and trailing characters found in `chars` (by default spaces and tabs).
std::string_view trim(std::string_view s, std::string_view chars = " \t");

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF):
// text the web app, the JSON output and a person's terminal can all show. simdjson's validator.
bool valid_utf8(std::string_view s);

// The number of characters (Unicode code points) in UTF-8 text: what a limit "in characters"
// counts. Bytes of malformed UTF-8 count one each.
std::size_t utf8_length(std::string_view s);

// Whether `s` holds a character that changes how a terminal shows the text around it: a C0
// control (tab and line breaks included), DEL, a C1 control (U+0080 to U+009F) or a bidi
// embedding, override or isolate (U+202A to U+202E, U+2066 to U+2069).
bool has_hidden_controls(std::string_view s);

// `s` made safe for a terminal: every character has_hidden_controls() looks for, and every byte
// of malformed UTF-8, is written as a visible escape (\x1b, \x7f, \u009b, \u202e); everything
// else, backslashes included, is kept. Every text renderer shows values from the database, a
// file or Stripe through it; JSON output never does (it is exact).
std::string display(std::string_view s);

}  // namespace quicktools::util
