// The `migrate` command group.
#include "commands.hpp"

namespace quicktools::cli {

void register_migrate_group(CLI::App& app, Context& ctx) {
    auto* migrate = app.add_subcommand("migrate", "Move users from subscriptions to credit packs");
    migrate->require_subcommand(1);
    register_migrate_packs(*migrate, ctx);
}

}  // namespace quicktools::cli
