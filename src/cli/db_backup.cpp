// `quicktools db backup DEST`: a consistent online copy, mode 0600.
#include <fmt/format.h>

#include <optional>

#include "commands.hpp"
#include "quicktools/db/backup.hpp"
#include "quicktools/util/progress.hpp"

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
        std::optional<util::Progress> bar;
        db::BackupProgress progress;
        if (util::Progress::stderr_is_terminal() && !ctx.options.quiet)
            progress = [&bar](int done, int total) {
                if (!bar) bar.emplace("db backup: pages", total, true);
                bar->update(done);
            };
        const auto result = db::backup_to(database, *dest, progress);
        if (bar) bar->finish();
        ctx.emit({{"ok", true}, {"path", result.path}, {"bytes", result.bytes}, {"pages", result.pages}},
                 fmt::format("Backed up {} to {} ({} bytes).", database.path(), result.path, result.bytes), false);
    });
}

}  // namespace quicktools::cli
