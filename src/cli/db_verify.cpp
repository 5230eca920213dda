// `quicktools db verify`: CI check of the live schema; exit 3 on drift.
#include <fmt/format.h>

#include "commands.hpp"
#include "quicktools/db/verify.hpp"
#include "quicktools/util/text.hpp"

namespace quicktools::cli {

void register_db_verify(CLI::App& db, Context& ctx) {
    auto* cmd = db.add_subcommand("verify",
                                  "Compare the live schema with the expected one for its state; exit 3 on drift "
                                  "(for CI). Objects the tool does not own are allowed; -v lists them");
    cmd->footer("Examples:\n  quicktools --db quicktools.db db verify\n  quicktools db verify --json -v");
    cmd->callback([&ctx] {
        auto database = ctx.open(db::Access::read_only);
        const auto report = db::verify_schema(database);
        nlohmann::json drift = nlohmann::json::array();
        for (const auto& d : report.drift) drift.push_back({{"object", d.object}, {"problem", d.problem}});
        nlohmann::json doc{{"state", db::to_string(report.state)},
                           {"clean", report.clean()},
                           {"baseline_pending", report.baseline_pending},
                           {"expected_migrations", report.expected_versions},
                           {"drift", drift},
                           {"not_owned", report.not_owned}};
        std::string text;
        if (report.clean())
            text = fmt::format("{}: schema matches the {} state ({} migrations); no drift.\n", database.path(),
                               db::to_string(report.state), report.expected_versions.size());
        else
            text = fmt::format("{}: {} difference(s) from the expected {} schema:\n", database.path(),
                               report.drift.size(), db::to_string(report.state));
        if (report.baseline_pending)
            text += "  (no history yet: the state was detected from the schema; `db upgrade` records it)\n";
        for (const auto& d : report.drift)
            text += fmt::format("  {}: {}\n", util::display(d.object), util::display(d.problem));
        if (ctx.options.verbose > 0)
            for (const auto& o : report.not_owned)
                text += fmt::format("  (not owned, left alone) {}\n", util::display(o));
        else if (!report.not_owned.empty())
            text += fmt::format("  ({} object(s) the tool does not own; -v lists them)\n", report.not_owned.size());
        ctx.emit(doc, text);
        if (!report.clean()) ctx.exit_code = ExitCode::check_failed;
    });
}

}  // namespace quicktools::cli
