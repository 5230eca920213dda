// The `credits` command group.
#include "commands.hpp"

namespace quicktools::cli {

void register_credits_group(CLI::App& app, Context& ctx) {
    auto* credits = app.add_subcommand("credits",
                                       "Adjust credits with an audit trail, import adjustments, show a "
                                       "user's trail, audit every balance, refund a purchase at Stripe");
    credits->require_subcommand(1);
    register_credits_adjust(*credits, ctx, credits::Action::grant);
    register_credits_adjust(*credits, ctx, credits::Action::refund);
    register_credits_adjust(*credits, ctx, credits::Action::debit);
    register_credits_import(*credits, ctx);
    register_credits_history(*credits, ctx);
    register_credits_audit(*credits, ctx);
    register_credits_refund_purchase(*credits, ctx);
}

}  // namespace quicktools::cli
