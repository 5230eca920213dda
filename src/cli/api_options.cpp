#include "api_options.hpp"

#include <cmath>
#include <ctime>

#include "quicktools/stripe/events_api.hpp"
#include "quicktools/util/system.hpp"

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

void add_listing_options(CLI::App& cmd, ListingOptions& o, const std::string& since_help) {
    cmd.add_option("--since", o.since, since_help)->type_name("DURATION");
    cmd.add_flag("--dry-run", o.dry_run, "List and report what would happen; change nothing");
    cmd.add_option("--max-pages", o.max_pages,
                   "Stop with an error (nothing applied) after this many pages of 100 (default 1000)")
        ->check(CLI::Range(1, 100000))
        ->type_name("N");
    add_api_options(cmd, o.api);
}

Listing start_listing(const ListingOptions& o, const Context& ctx) {
    Listing l;
    if (!o.since.empty()) l.since_seconds = stripe::parse_duration_seconds(o.since);
    l.dry_run = o.dry_run ? DryRun::yes : DryRun::no;
    l.now = static_cast<std::int64_t>(std::time(nullptr));
    l.api = connect_api(o.api, ctx);
    l.replay.livemode = l.api.client->live_key() ? stripe::Livemode::live : stripe::Livemode::test;
    l.replay.actor = util::os_user();
    return l;
}

ApiConnection connect_api(const ApiOptions& o, const Context& ctx) {
    auto key = stripe::load_api_key(o.api_key_file, o.live ? stripe::LiveKeys::allow : stripe::LiveKeys::refuse);
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
