// libFuzzer target: the Stripe-Signature header parser and check. Input: header, a 0 byte, body.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "quicktools/stripe/signature.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace quicktools;
    std::string_view all(reinterpret_cast<const char*>(data), size);
    auto cut = all.find('\0');
    std::string_view header = all.substr(0, cut);
    std::string_view body = cut == std::string_view::npos ? std::string_view{} : all.substr(cut + 1);
    (void)stripe::verify_signature(header, body, "whsec_fuzz", 300, 1767225600);
    (void)stripe::verify_signature(header, body, "whsec_fuzz", 0, 0);
    // A correctly signed body must always verify.
    auto good = stripe::sign_payload(body, "whsec_fuzz", 1767225600);
    if (!stripe::verify_signature(good, body, "whsec_fuzz", 300, 1767225600).valid) __builtin_trap();
    return 0;
}
