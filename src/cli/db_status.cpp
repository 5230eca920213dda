// `quicktools db status`: detected state, applied and pending migrations.
#include <fmt/format.h>

#include "commands.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/util/text.hpp"

namespace quicktools::cli {
namespace {

nlohmann::json to_json(const db::SchemaStatus& s) {
    nlohmann::json applied = nlohmann::json::array();
    for (const auto& row : s.history)
        applied.push_back({{"version", row.version},
                           {"name", row.name},
                           {"kind", row.kind},
                           {"checksum", row.checksum},
                           {"applied_at", row.applied_at},
                           {"applied_by", row.applied_by}});
    nlohmann::json pending = nlohmann::json::array();
    for (int v : s.pending) {
        const auto& m = db::migration(v);
        pending.push_back({{"version", v},
                           {"name", m.name},
                           {"applied_by_command", m.needs_own_command ? "db drop-deprecated" : "db upgrade"}});
    }
    nlohmann::json edited = nlohmann::json::array();
    for (const auto& e : s.edited) edited.push_back({{"version", e.version}, {"name", e.name}});
    return {{"state", db::to_string(s.detected.state)},
            {"explanation", s.detected.explanation},
            {"has_history", s.has_history},
            {"baseline_to_record", s.baseline},
            {"applied", applied},
            {"pending", pending},
            {"edited", edited}};
}

std::string to_text(const db::SchemaStatus& s, const std::string& path) {
    std::string out =
        fmt::format("Database: {}\nState:    {} ({})\n", path, db::to_string(s.detected.state), s.detected.explanation);
    if (!s.has_history) {
        out += "History:  none yet";
        if (s.detected.state != db::SchemaState::unknown) {
            out += "; `db upgrade` will record a baseline of";
            for (int v : s.baseline) out += fmt::format(" {:03d}", v);
        }
        out += "\n";
    }
    for (const auto& row : s.history)
        out += fmt::format("  {:03d} {:<22} {:<8} {} by {}\n", row.version, util::display(row.name),
                           util::display(row.kind), util::display(row.applied_at), util::display(row.applied_by));
    for (int v : s.pending) {
        const auto& m = db::migration(v);
        out += fmt::format("  {:03d} {:<22} pending  (run `quicktools {}`)\n", v, m.name,
                           m.needs_own_command ? "db drop-deprecated" : "db upgrade");
    }
    for (const auto& e : s.edited)
        out += fmt::format("  warning: migration {:03d}_{} was edited after it was applied\n", e.version, e.name);
    return out;
}

}  // namespace

void register_db_status(CLI::App& db, Context& ctx) {
    auto* cmd = db.add_subcommand("status", "Show the detected schema state and the applied and pending migrations");
    cmd->footer("Example:\n  quicktools --db ./quicktools.db db status --json");
    cmd->callback([&ctx] {
        auto database = ctx.open(db::Access::read_only);
        const auto status = db::schema_status(database);
        ctx.emit(to_json(status), to_text(status, database.path()));
    });
}

}  // namespace quicktools::cli
