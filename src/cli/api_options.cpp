#include "api_options.hpp"

#include <cmath>

namespace quicktools::cli {
namespace {

std::chrono::milliseconds to_ms(double seconds) {
    return std::chrono::milliseconds(static_cast<long long>(std::llround(seconds * 1000.0)));
}

}  // namespace

void add_api_options(CLI::App& cmd, ApiOptions& o) {
    cmd.add_flag("--live", o.live, "Allow a live key (sk_live_/rk_live_): real payments");
    cmd.add_option("--api-key-file", o.api_key_file, "Read the Stripe API key from FILE instead of STRIPE_API_KEY")
        ->type_name("FILE");
    cmd.add_option("--timeout", o.timeout_s, "Seconds one attempt may take in total (default 30)")
        ->check(CLI::Range(0.1, 600.0))
        ->type_name("S");
    cmd.add_option("--connect-timeout", o.connect_timeout_s, "Seconds to wait for a connection (default 10)")
        ->check(CLI::Range(0.1, 600.0))
        ->type_name("S");
    cmd.add_option("--max-retries", o.max_retries,
                   "Retries after connection errors, 409, 429 and 5xx, with backoff (default 2)")
        ->check(CLI::Range(0, 10))
        ->type_name("N");
}

ApiConnection connect_api(const ApiOptions& o, const Context& ctx) {
    auto key = stripe::load_api_key(o.api_key_file, o.live ? stripe::LiveMode::allow : stripe::LiveMode::refuse);
    stripe::ClientOptions options;
    options.api_base = stripe::api_base_from_env();
    stripe::require_safe_transport(options.api_base, key);
    options.total_timeout = to_ms(o.timeout_s);
    options.connect_timeout = to_ms(o.connect_timeout_s);
    options.retry.max_retries = o.max_retries;
    options.on_retry = [&ctx](const std::string& message) { ctx.note(message); };
    ApiConnection c;
    c.http = std::make_unique<stripe::CurlHttpClient>(stripe::ca_bundle_from_env());
    c.client = std::make_unique<stripe::StripeClient>(*c.http, std::move(key), std::move(options));
    return c;
}

}  // namespace quicktools::cli
