#pragma once
// Checking a webhook body against its Stripe-Signature header, as Stripe's own libraries do.
#include <cstdint>
#include <string>
#include <string_view>

namespace quicktools::stripe {

struct SignatureCheck {
    bool valid = false;
    std::string reason;          // why not, in a sentence (empty when valid)
    std::int64_t timestamp = 0;  // the header's t=, when it had one
};

// Verifies `header` ("t=...,v1=...[,v1=...][,v0=...]") for `body` with the endpoint `secret`:
// HMAC-SHA256 of "{t}.{body}", any v1 may match (compared in constant time), and t must not be
// older than `tolerance_seconds` before `now` (0 skips the time check, for stored payloads).
SignatureCheck verify_signature(std::string_view header, std::string_view body, std::string_view secret,
                                std::int64_t tolerance_seconds, std::int64_t now);

// The header Stripe would send for `body` signed at `timestamp` (tests and local tooling).
std::string sign_payload(std::string_view body, std::string_view secret, std::int64_t timestamp);

}  // namespace quicktools::stripe
