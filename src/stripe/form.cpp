#include "quicktools/stripe/form.hpp"

#include <stdexcept>

namespace quicktools::stripe {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

std::string scalar(const nlohmann::json& value) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_null()) return "";
    return value.dump();  // numbers and booleans print as Stripe expects them
}

void flatten(const std::string& key, const nlohmann::json& value, Pairs& out) {
    if (value.is_object()) {
        for (const auto& [name, inner] : value.items()) flatten(key + "[" + name + "]", inner, out);
    } else if (value.is_array()) {
        std::size_t index = 0;
        for (const auto& item : value) {
            if (item.is_object() || item.is_array())
                flatten(key + "[" + std::to_string(index) + "]", item, out);
            else
                out.emplace_back(key + "[]", scalar(item));
            ++index;
        }
    } else {
        out.emplace_back(key, scalar(value));
    }
}

}  // namespace

Pairs flatten_params(const nlohmann::json& params) {
    if (params.is_null()) return {};
    if (!params.is_object()) throw std::invalid_argument("Stripe parameters must be a JSON object");
    Pairs out;
    for (const auto& [name, value] : params.items()) flatten(name, value, out);
    return out;
}

std::string percent_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0x0F];
        }
    }
    return out;
}

std::string encode_form(const nlohmann::json& params) {
    std::string out;
    for (const auto& [key, value] : flatten_params(params)) {
        if (!out.empty()) out += '&';
        out += percent_encode(key);
        out += '=';
        out += percent_encode(value);
    }
    return out;
}

}  // namespace quicktools::stripe
