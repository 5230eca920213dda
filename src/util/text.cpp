#include "quicktools/util/text.hpp"

#include <simdjson.h>

namespace quicktools::util {

std::string_view trim(std::string_view s, std::string_view chars) {
    const auto first = s.find_first_not_of(chars);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(chars) - first + 1);
}

bool valid_utf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

}  // namespace quicktools::util
