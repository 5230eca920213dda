// The `user` command group: look users up.
#include "commands.hpp"

namespace quicktools::cli {

void register_user_group(CLI::App& app, Context& ctx) {
    auto* user = app.add_subcommand("user", "Look up users: credits, API access, support tier");
    user->require_subcommand(1);
    register_user_show(*user, ctx);
    register_user_list(*user, ctx);
}

}  // namespace quicktools::cli
