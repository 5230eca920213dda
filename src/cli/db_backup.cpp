// `quicktools db backup DEST`: a consistent online copy, mode 0600.
#include <fmt/format.h>

#include "commands.hpp"
#include "quicktools/db/backup.hpp"

namespace quicktools::cli {

void register_db_backup(CLI::App& db, Context& ctx) {
    auto dest = std::make_shared<std::string>();
    auto* cmd = db.add_subcommand("backup",
                                  "Copy the database to DEST while the web app keeps running (a consistent "
                                  "snapshot, file mode 0600; never overwrites)");
    cmd->add_option("DEST", *dest, "Where to write the copy (must not exist)")->required()->type_name("PATH");
    cmd->footer("Example:\n  quicktools db backup /var/backups/quicktools-$(date +%F).db");
    cmd->callback([&ctx, dest] {
        auto database = ctx.open(db::Access::read_only);
        auto bar = ctx.progress("db backup: pages");
        const auto result = db::backup_to(database, *dest, [&bar](int done, int total) { bar.advance(done, total); });
        bar.finish();
        const bool dump = result.format == db::BackupFormat::pg_dump_custom;
        ctx.emit({{"ok", true},
                  {"path", result.path},
                  {"bytes", result.bytes},
                  {"pages", result.pages ? nlohmann::json(*result.pages) : nlohmann::json(nullptr)},
                  {"format", dump ? "pg_dump_custom" : "sqlite"}},
                 fmt::format("Backed up {} to {} ({} bytes{}).", database.path(), result.path, result.bytes,
                             dump ? ", pg_dump's custom format" : ""),
                 Output::confirmation);
    });
}

}  // namespace quicktools::cli
