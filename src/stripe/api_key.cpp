// Where the API key comes from and the safety rules around it; idempotency keys.
#include <fmt/format.h>
#include <unistd.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>

#include "quicktools/stripe/api_client.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::stripe {
namespace {

// A Stripe key is about 110 characters; a file much larger is not a key file.
constexpr std::size_t max_key_file_bytes = 4096;

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string trimmed(std::string s) {
    const auto not_space = [](unsigned char c) { return c != ' ' && c != '\t' && c != '\n' && c != '\r'; };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
    s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
    return s;
}

}  // namespace

bool ApiKey::live() const { return starts_with(value, "sk_live_") || starts_with(value, "rk_live_"); }

ApiKey load_api_key(const std::optional<std::string>& key_file, LiveKeys live) {
    ApiKey key;
    if (key_file) {
        key = {trimmed(util::read_file(*key_file, max_key_file_bytes, "the API key file")), *key_file};
    } else {
        const char* env = std::getenv("STRIPE_API_KEY");
        key = {trimmed(env != nullptr ? env : ""), "STRIPE_API_KEY"};
    }
    if (key.value.empty())
        throw usage_error(key_file ? fmt::format("the API key file {} is empty", *key_file)
                                   : "no Stripe API key: set STRIPE_API_KEY or pass --api-key-file FILE "
                                     "(a secret key sk_... or a restricted key rk_...)");
    const bool clean = std::all_of(key.value.begin(), key.value.end(), [](unsigned char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
    if (!clean)
        throw usage_error(
            fmt::format("the API key in {} has characters a Stripe key never has (a stray quote or "
                        "space?); it is not shown",
                        key.source));
    if (!starts_with(key.value, "sk_") && !starts_with(key.value, "rk_"))
        throw usage_error(
            fmt::format("the API key in {} is not a secret (sk_) or restricted (rk_) key; a "
                        "publishable key cannot call the API this tool uses",
                        key.source));
    if (key.live() && live == LiveKeys::refuse)
        throw refusal(
            fmt::format("the API key in {} is a live key: pass --live to act on real payments, or use a "
                        "test key (sk_test_...)",
                        key.source));
    return key;
}

std::string api_base_from_env() {
    const char* env = std::getenv("STRIPE_API_BASE");
    std::string base = env != nullptr && *env != '\0' ? env : std::string(default_api_base);
    while (!base.empty() && base.back() == '/') base.pop_back();
    if (!starts_with(base, "https://") && !starts_with(base, "http://"))
        throw usage_error(fmt::format("STRIPE_API_BASE must be an http:// or https:// URL, got {}", base));
    return base;
}

std::string ca_bundle_from_env() {
    const char* env = std::getenv("STRIPE_CA_BUNDLE");
    if (env == nullptr || *env == '\0') return {};
    if (::access(env, R_OK) != 0)
        throw usage_error(fmt::format("STRIPE_CA_BUNDLE names {}, which cannot be read", env));
    return env;
}

void require_safe_transport(std::string_view api_base, const ApiKey& key) {
    constexpr std::string_view plain = "http://";
    if (api_base.substr(0, plain.size()) != plain) return;
    auto rest = api_base.substr(plain.size());
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
    std::string_view host = rest;
    if (!rest.empty() && rest.front() == '[')
        host = rest.substr(0, rest.find(']') + 1);
    else
        host = rest.substr(0, rest.find(':'));
    const bool ipv4 = !host.empty() && std::count(host.begin(), host.end(), '.') == 3 &&
                      std::all_of(host.begin(), host.end(), [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
    const bool loopback = host == "localhost" || host == "[::1]" || (ipv4 && host.substr(0, 4) == "127.");
    if (!loopback)
        throw refusal(
            fmt::format("STRIPE_API_BASE is plain http:// to {}: a key is only sent over http:// to this "
                        "machine (a local Stripe stand-in); use https://",
                        std::string(host)));
    if (key.live())
        throw refusal("a live key is never sent over plain http://: STRIPE_API_BASE must be https:// for a live key");
}

std::string redact(std::string text, std::string_view secret) {
    if (secret.empty()) return text;
    static constexpr std::string_view mask = "[redacted]";
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + mask.size()))
        text.replace(at, secret.size(), mask);
    return text;
}

std::string new_idempotency_key() {
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) throw Error("could not draw random bytes for an idempotency key (OpenSSL)");
    b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
    return fmt::format(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}", b[0],
        b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

}  // namespace quicktools::stripe
