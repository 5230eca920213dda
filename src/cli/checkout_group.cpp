// The `checkout` command group.
#include "commands.hpp"

namespace quicktools::cli {

void register_checkout_group(CLI::App& app, Context& ctx) {
    auto* checkout = app.add_subcommand("checkout", "Stripe Checkout Sessions for credit packs");
    checkout->require_subcommand(1);
    register_checkout_create(*checkout, ctx);
}

}  // namespace quicktools::cli
