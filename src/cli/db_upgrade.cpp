// `quicktools db upgrade [--dry-run]`: record a baseline and apply pending migrations.
#include <fmt/format.h>

#include "commands.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::cli {
namespace {

std::string versions_text(const std::vector<int>& versions) {
    std::string out;
    for (int v : versions) out += fmt::format("{}{:03d}_{}", out.empty() ? "" : ", ", v, db::migration(v).name);
    return out;
}

}  // namespace

void register_db_upgrade(CLI::App& db, Context& ctx) {
    struct Options {
        bool dry_run = false;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = db.add_subcommand("upgrade",
                                  "Add the credit-pack columns and the tool's own tables (pending migrations), "
                                  "recording a baseline first if the database has no history");
    cmd->add_flag("--dry-run", opts->dry_run, "Show what would be applied; change nothing");
    cmd->footer("Examples:\n  quicktools db upgrade --dry-run\n  quicktools --db /srv/app/quicktools.db db upgrade");
    cmd->callback([&ctx, opts] {
        auto database = ctx.open(opts->dry_run ? db::Access::read_only : db::Access::read_write);
        const auto result = db::upgrade(database, opts->dry_run ? DryRun::yes : DryRun::no, util::os_user());
        nlohmann::json doc{{"dry_run", opts->dry_run},
                           {"state_before", db::to_string(result.state_before)},
                           {"state_after", db::to_string(result.state_after)},
                           {"baseline", result.recorded_baseline},
                           {"applied", result.applied},
                           {"changed", result.changed() && !opts->dry_run}};
        std::string text;
        if (!result.changed()) {
            text = fmt::format("{} is up to date ({}); nothing to do.", database.path(),
                               db::to_string(result.state_before));
        } else {
            const char* verb = opts->dry_run ? "Would record" : "Recorded";
            if (!result.recorded_baseline.empty())
                text += fmt::format("{} baseline: {}\n", verb, versions_text(result.recorded_baseline));
            if (!result.applied.empty())
                text +=
                    fmt::format("{} {}\n", opts->dry_run ? "Would apply:" : "Applied:", versions_text(result.applied));
            text += fmt::format("State: {} -> {}{}", db::to_string(result.state_before),
                                db::to_string(result.state_after), opts->dry_run ? " (dry run: nothing changed)" : "");
        }
        ctx.emit(doc, text);
    });
}

}  // namespace quicktools::cli
