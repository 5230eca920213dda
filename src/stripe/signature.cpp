#include "quicktools/stripe/signature.hpp"

#include <fmt/format.h>

#include <charconv>
#include <vector>

#include "quicktools/util/crypto.hpp"
#include "quicktools/util/text.hpp"

namespace quicktools::stripe {
SignatureCheck verify_signature(std::string_view header, std::string_view body, std::string_view secret,
                                std::int64_t tolerance_seconds, std::int64_t now) {
    SignatureCheck check;
    std::string_view t_text;
    std::vector<std::string_view> v1;
    bool other_schemes = false;
    std::size_t pos = 0;
    while (pos <= header.size()) {
        auto comma = header.find(',', pos);
        if (comma == std::string_view::npos) comma = header.size();
        const auto item = util::trim(header.substr(pos, comma - pos), " \t\r\n");
        pos = comma + 1;
        const auto eq = item.find('=');
        if (eq == std::string_view::npos) continue;
        const auto key = item.substr(0, eq);
        const auto value = item.substr(eq + 1);
        if (key == "t")
            t_text = value;
        else if (key == "v1")
            v1.push_back(value);
        else
            other_schemes = true;
    }
    const bool has_t = !t_text.empty();
    const auto parsed = has_t ? std::from_chars(t_text.data(), t_text.data() + t_text.size(), check.timestamp)
                              : std::from_chars_result{nullptr, std::errc::invalid_argument};
    if (!has_t || parsed.ec != std::errc() || parsed.ptr != t_text.data() + t_text.size()) {
        check.reason = "malformed header: no timestamp t= (expected t=...,v1=...)";
        return check;
    }
    if (v1.empty()) {
        check.reason = other_schemes
                           ? "no v1 signature in the header (only other schemes such as v0, which are not checked)"
                           : "malformed header: no v1 signature (expected t=...,v1=...)";
        return check;
    }
    const auto expected = util::hmac_sha256_hex(secret, fmt::format("{}.{}", t_text, body));
    bool match = false;
    for (auto candidate : v1) match = util::constant_time_equal(expected, candidate) || match;
    if (!match) {
        check.reason = "no v1 signature matches: the body was changed, or it was signed with another secret";
        return check;
    }
    if (tolerance_seconds > 0 && check.timestamp < now - tolerance_seconds) {
        check.reason = fmt::format(
            "the timestamp is {} s old, more than the tolerance of {} s (replayed or stale; "
            "--tolerance 0 skips this check for stored payloads)",
            now - check.timestamp, tolerance_seconds);
        return check;
    }
    check.valid = true;
    return check;
}

std::string sign_payload(std::string_view body, std::string_view secret, std::int64_t timestamp) {
    return fmt::format("t={},v1={}", timestamp, util::hmac_sha256_hex(secret, fmt::format("{}.{}", timestamp, body)));
}

}  // namespace quicktools::stripe
