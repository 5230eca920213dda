// The `stripe` command group.
#include "commands.hpp"

namespace quicktools::cli {

void register_stripe_group(CLI::App& app, Context& ctx) {
    auto* stripe = app.add_subcommand(
        "stripe", "Apply Stripe events to the database, reconcile it with Stripe, check webhook signatures");
    stripe->require_subcommand(1);
    register_stripe_replay(*stripe, ctx);
    register_stripe_sync(*stripe, ctx);
    register_stripe_reconcile(*stripe, ctx);
    register_stripe_verify_signature(*stripe, ctx);
    register_stripe_doctor(*stripe, ctx);
}

}  // namespace quicktools::cli
