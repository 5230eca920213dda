#pragma once
// The options every command that calls the Stripe API shares (--live, --api-key-file,
// timeouts, retries), and the client built from them.
#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>

#include "quicktools/cli/context.hpp"
#include "quicktools/stripe/api_client.hpp"
#include "quicktools/stripe/replay.hpp"

namespace quicktools::cli {

struct ApiOptions {
    bool live = false;
    std::optional<std::string> api_key_file;
    double timeout_s = 30.0;
    double connect_timeout_s = 10.0;
    int max_retries = 2;
};

// Adds --live, --api-key-file, --timeout, --connect-timeout and --max-retries to a command.
void add_api_options(CLI::App& cmd, ApiOptions& options);

// The HTTP transport and the client over it; retries are reported on stderr (not with -q).
struct ApiConnection {
    std::unique_ptr<stripe::HttpClient> http;
    std::unique_ptr<stripe::StripeClient> client;
};

// Loads the key (exit 2 when missing, 4 for a live key without --live) and builds the client
// for STRIPE_API_BASE.
ApiConnection connect_api(const ApiOptions& options, const Context& ctx);

// The options of the commands that list from Stripe and apply what they find (stripe sync,
// stripe reconcile): the window, --dry-run, --max-pages, and the API options.
struct ListingOptions {
    std::string since;
    bool dry_run = false;
    int max_pages = 1000;
    ApiOptions api;
};

// Adds them; `since_help` says what --since means for the command.
void add_listing_options(CLI::App& cmd, ListingOptions& options, const std::string& since_help);

// What a listing command needs from its options: the --since window in seconds (if given), the
// dry-run flag, now, the client (loaded key, checked transport), and replay options whose mode
// follows the key.
struct Listing {
    std::optional<std::int64_t> since_seconds;
    DryRun dry_run = DryRun::no;
    std::int64_t now = 0;
    ApiConnection api;
    stripe::ReplayOptions replay;
};
Listing start_listing(const ListingOptions& options, const Context& ctx);

}  // namespace quicktools::cli
