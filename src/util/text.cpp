#include "quicktools/util/text.hpp"

#include <fmt/format.h>
#include <simdjson.h>

namespace quicktools::util {
namespace {

// One character of UTF-8 at s[i]: its code point and length, or length 0 if malformed.
struct Decoded {
    char32_t code = 0;
    std::size_t length = 0;
};

Decoded decode(std::string_view s, std::size_t i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) return {b, 1};
    std::size_t n = 0;
    char32_t code = 0;
    char32_t min = 0;
    if ((b & 0xE0) == 0xC0) {
        n = 2, code = b & 0x1FU, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
        n = 3, code = b & 0x0FU, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
        n = 4, code = b & 0x07U, min = 0x10000;
    } else {
        return {};
    }
    if (i + n > s.size()) return {};
    for (std::size_t k = 1; k < n; ++k) {
        const auto c = static_cast<unsigned char>(s[i + k]);
        if ((c & 0xC0) != 0x80) return {};
        code = (code << 6) | (c & 0x3FU);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return {};
    return {code, n};
}

bool hidden(char32_t c) {
    return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2066 && c <= 0x2069);
}

}  // namespace

std::string_view trim(std::string_view s, std::string_view chars) {
    const auto first = s.find_first_not_of(chars);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(chars) - first + 1);
}

bool valid_utf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

std::size_t utf8_length(std::string_view s) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size(); ++n) {
        const auto d = decode(s, i);
        i += d.length == 0 ? 1 : d.length;
    }
    return n;
}

bool has_hidden_controls(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto d = decode(s, i);
        if (d.length > 0 && hidden(d.code)) return true;
        i += d.length == 0 ? 1 : d.length;
    }
    return false;
}

std::string display(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto d = decode(s, i);
        if (d.length == 0) {
            out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i]));
            ++i;
            continue;
        }
        if (!hidden(d.code))
            out.append(s.substr(i, d.length));
        else if (d.code < 0x80)
            out += fmt::format("\\x{:02x}", static_cast<unsigned>(d.code));
        else
            out += fmt::format("\\u{:04x}", static_cast<unsigned>(d.code));
        i += d.length;
    }
    return out;
}

}  // namespace quicktools::util
