// The `db` command group.
#include "commands.hpp"

namespace quicktools::cli {

void register_db_group(CLI::App& app, Context& ctx) {
    auto* db = app.add_subcommand("db", "Create, inspect, upgrade, verify and back up the database");
    db->require_subcommand(1);
    register_db_init(*db, ctx);
    register_db_status(*db, ctx);
    register_db_upgrade(*db, ctx);
    register_db_verify(*db, ctx);
    register_db_backup(*db, ctx);
    register_db_drop_deprecated(*db, ctx);
}

}  // namespace quicktools::cli
