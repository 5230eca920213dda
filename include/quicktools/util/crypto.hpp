#pragma once
// Hashes and MACs from OpenSSL, as lowercase hex.
#include <string>
#include <string_view>

namespace quicktools::util {

std::string sha256_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// Compares two strings in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace quicktools::util
