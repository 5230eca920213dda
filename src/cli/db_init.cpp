// `quicktools db init`: a new database in the final state.
#include <fmt/format.h>

#include "commands.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::cli {

void register_db_init(CLI::App& db, Context& ctx) {
    auto* cmd = db.add_subcommand("init", "Create a new database at the current schema (refuses if the file exists)");
    cmd->footer("Example:\n  quicktools --db ./quicktools.db db init");
    cmd->callback([&ctx] {
        auto database = db::Database::create_new(ctx.options.db_path, ctx.options.busy_timeout_ms);
        db::initialise(database, util::os_user());
        const auto& all = db::migrations(database.engine());
        // database.path(): a PostgreSQL URI without its password.
        ctx.emit({{"ok", true}, {"path", database.path()}, {"state", "final"}, {"version", all.back().version}},
                 fmt::format("Created {} (final schema, migration {:03d}).", database.path(), all.back().version),
                 Output::confirmation);
    });
}

}  // namespace quicktools::cli
