// `quicktools stripe verify-signature --header VALUE [--tolerance S] [FILE]`.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

#include "commands.hpp"
#include "quicktools/stripe/event_reader.hpp"
#include "quicktools/stripe/signature.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::cli {
namespace {

// A webhook body is one event, so it has the replay's limit of one event; a secret is short.
std::string read_all(const std::string& path, std::size_t max_bytes, std::string_view what) {
    return util::read_file(path.empty() ? "-" : path, max_bytes, what);
}

// The endpoint secret from --secret-file or STRIPE_WEBHOOK_SECRET; never printed.
std::string webhook_secret(const std::string& secret_file) {
    std::string secret;
    if (!secret_file.empty()) {
        secret = read_all(secret_file, 4096, "the webhook secret file");
        while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' '))
            secret.pop_back();
    } else if (const char* env = std::getenv("STRIPE_WEBHOOK_SECRET")) {
        secret = env;
    }
    if (secret.empty())
        throw usage_error(
            "no webhook secret: set STRIPE_WEBHOOK_SECRET (whsec_..., from the endpoint's page in the "
            "Stripe dashboard) or give --secret-file");
    return secret;
}

}  // namespace

void register_stripe_verify_signature(CLI::App& stripe, Context& ctx) {
    struct Options {
        std::string header;
        std::int64_t tolerance = 300;
        std::string secret_file;
        std::string file;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = stripe.add_subcommand("verify-signature",
                                      "Check a raw webhook body against its Stripe-Signature header and the endpoint "
                                      "secret (STRIPE_WEBHOOK_SECRET); exit 3 when it does not match");
    cmd->add_option("--header", opts->header, "The Stripe-Signature header: t=...,v1=...")
        ->required()
        ->type_name("VALUE");
    cmd->add_option("--tolerance", opts->tolerance,
                    "Largest age of the signature in seconds (default 300; 0 skips the check, for stored payloads)")
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{10} * 365 * 24 * 3600))
        ->type_name("S");
    cmd->add_option("--secret-file", opts->secret_file, "Read the endpoint secret from this file instead")
        ->type_name("PATH");
    cmd->add_option("FILE", opts->file, "The raw body, byte for byte (default stdin)")->type_name("FILE");
    cmd->footer(
        "Example:\n  STRIPE_WEBHOOK_SECRET=whsec_... quicktools stripe verify-signature \\\n"
        "    --header 't=1767225600,v1=5257a8...' --tolerance 0 body.json");
    cmd->callback([&ctx, opts] {
        const auto secret = webhook_secret(opts->secret_file);
        const auto body = read_all(opts->file, stripe::max_event_bytes, "the webhook body");
        const auto now =
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        const auto check = stripe::verify_signature(opts->header, body, secret, opts->tolerance, now);
        nlohmann::json doc{{"valid", check.valid}, {"timestamp", check.timestamp}, {"bytes", body.size()}};
        if (!check.valid) doc["reason"] = check.reason;
        ctx.emit(doc, check.valid
                          ? fmt::format("Valid signature (signed at {}, {} bytes).", check.timestamp, body.size())
                          : "Invalid signature: " + check.reason + ".");
        if (!check.valid) ctx.exit_code = ExitCode::check_failed;
    });
}

}  // namespace quicktools::cli
