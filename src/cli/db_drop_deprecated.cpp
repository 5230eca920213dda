// `quicktools db drop-deprecated`: drop the six subscription columns, once the migration is done.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <istream>
#include <optional>
#include <ostream>

#include "commands.hpp"
#include "quicktools/db/drop_deprecated.hpp"
#include "quicktools/util/interrupt.hpp"
#include "quicktools/util/system.hpp"
#include "quicktools/util/text.hpp"

namespace quicktools::cli {
namespace {

struct DropOptions {
    bool dry_run = false;
    bool yes = false;
    bool force = false;
    std::string backup;
    bool no_backup = false;
    bool vacuum = false;
};

nlohmann::json objects_json(const std::vector<db::DependentObject>& objects) {
    auto out = nlohmann::json::array();
    for (const auto& o : objects) {
        nlohmann::json item{{"type", o.type}, {"name", o.name}};
        if (!o.reason.empty()) item["reason"] = o.reason;
        out.push_back(item);
    }
    return out;
}

std::string plan_text(const db::DropPlan& plan, bool would) {
    std::string text = plan.rewrites_table ? fmt::format("{} users without: {}.\n", would ? "Would rewrite" : "Rewrote",
                                                         fmt::join(db::deprecated_columns, ", "))
                                           : fmt::format("{} from users: {}.\n", would ? "Would drop" : "Dropped",
                                                         fmt::join(db::deprecated_columns, ", "));
    for (const auto& c : plan.removed_constraints) text += fmt::format("  constraint removed: {}\n", c);
    for (const auto& o : plan.recreated)
        text += fmt::format("  {} {}: {}\n", o.type, o.name, plan.rewrites_table ? "recreated" : "kept");
    for (const auto& o : plan.dropped) text += fmt::format("  {} {}: dropped, {}\n", o.type, o.name, o.reason);
    return text;
}

// Irreversible: a person at a terminal types "drop"; scripts must say --yes.
void confirm(const Context& ctx, const std::string& path) {
    if (!ctx.stdin_terminal)
        throw refusal(
            "dropping columns cannot be undone (except from the backup) and there is no terminal to "
            "confirm on; pass --yes to go ahead");
    ctx.err << fmt::format(
                   "This drops the six subscription columns from {} for good. Type \"drop\" to go "
                   "ahead: ",
                   path)
            << std::flush;
    std::string answer;
    try {
        if (ctx.in_fd >= 0) util::wait_until_readable(ctx.in_fd);  // a terminal is readable once a line is typed
    } catch (const Error&) {
        ctx.err << '\n';  // Ctrl-C at the question: exit 130 (not "not confirmed") on a line of its own
        throw;
    }
    if (!std::getline(ctx.in, answer)) ctx.err << '\n';  // Ctrl-D: end the question's line
    if (answer != "drop") throw refusal("not confirmed; nothing was changed");
}

// What the command came to: the plan (a dry run, or nothing to do before the question) or the
// drop done (whose plan may also say there was nothing to do, seen under the write lock).
struct DropRun {
    std::string path;
    std::optional<db::DropPlan> plan;
    std::optional<db::DropResult> result;
};

DropRun run_drop_deprecated(const DropOptions& opts, const Context& ctx) {
    auto database = ctx.open(opts.dry_run ? db::Access::read_only : db::Access::read_write);
    db::DropOptions options;
    options.force = opts.force ? db::Force::yes : db::Force::no;
    options.vacuum = opts.vacuum;
    options.actor = util::os_user();
    if (!opts.no_backup && !opts.dry_run)
        options.backup_path = opts.backup.empty() ? db::default_backup_path(database.path()) : opts.backup;
    auto backup_bar = ctx.progress("drop-deprecated: backup pages");
    options.backup_progress = [&backup_bar](int done, int total) { backup_bar.advance(done, total); };
    if (ctx.stderr_terminal && !ctx.options.quiet)
        options.on_step = [&ctx, &backup_bar](const std::string& what) {
            backup_bar.finish();
            ctx.err << "drop-deprecated: " << what << "...\n";
        };
    DropRun run;
    run.path = database.path();
    // With --yes the checks run once, under the write lock; otherwise first without it, so a
    // refusal comes before the question and the dry run never takes the lock.
    if (opts.dry_run || !opts.yes) {
        run.plan = db::plan_drop(database, options);
        if (run.plan->nothing_to_do || opts.dry_run) return run;
        confirm(ctx, database.path());
        run.plan.reset();
    }
    run.result = db::drop_deprecated(database, options);
    return run;
}

void render_drop_deprecated(const DropRun& run, const DropOptions& opts, Context& ctx) {
    nlohmann::json doc{{"dry_run", opts.dry_run}, {"dropped_columns", db::deprecated_columns}};
    const db::DropPlan& plan = run.result ? run.result->plan : *run.plan;
    doc["state_before"] = db::to_string(plan.state);
    doc["nothing_to_do"] = plan.nothing_to_do;
    if (plan.nothing_to_do) {
        doc["dropped_columns"] = nlohmann::json::array();
        ctx.emit(doc, fmt::format("{} is already in the final state; nothing to do.", run.path));
        return;
    }
    doc["removed_constraints"] = plan.removed_constraints;
    doc["recreated"] = objects_json(plan.recreated);
    doc["dropped"] = objects_json(plan.dropped);
    if (!run.result) {
        doc["statements"] = plan.statements;
        doc["active_subscriptions"] = plan.active_subscriptions;
        std::string text = plan_text(plan, true) + "SQL it would run:\n";
        for (const auto& s : plan.statements) text += s + ";\n";
        ctx.emit(doc, text + "(dry run: nothing changed)");
        return;
    }
    const auto& result = *run.result;
    doc["active_subscriptions"] = plan.active_subscriptions;
    doc["backup"] = result.backup ? nlohmann::json(result.backup->path) : nlohmann::json(nullptr);
    doc["users"] = result.users;
    doc["vacuumed"] = opts.vacuum && result.plan.rewrites_table && !result.vacuum_error;
    const bool table_bytes = result.bytes_of == db::BytesOf::users_table;
    doc["bytes_of"] = table_bytes ? "users_table" : "database_file";
    doc["bytes_before"] = result.bytes_before;
    doc["bytes_after"] = result.bytes_after;
    doc["state_after"] = "final";
    std::string text;
    if (result.backup) text += fmt::format("Backed up to {}.\n", util::display(result.backup->path));
    text += plan_text(plan, false) + fmt::format("{} users kept; migration 004 recorded.", result.users);
    if (table_bytes)
        text += fmt::format(
            "\nSize of users on the server (table, TOAST and indexes): {} -> {} bytes. DROP COLUMN does not rewrite "
            "the table: its rows keep their space (reused as they are updated); only the indexes dropped "
            "with the columns give theirs back.",
            result.bytes_before, result.bytes_after);
    if (opts.vacuum && !result.plan.rewrites_table)
        text +=
            "\nNo VACUUM: on PostgreSQL DROP COLUMN only marks the columns dropped in the catalog, and "
            "the space of their values is reused as rows are updated.";
    else if (opts.vacuum && !result.vacuum_error)
        text += fmt::format("\nVacuumed: {} -> {} bytes.", result.bytes_before, result.bytes_after);
    if (result.vacuum_error) {
        // Not thrown: the result of the committed drop is printed, then what went wrong after it.
        const auto& e = *result.vacuum_error;
        doc["ok"] = false;
        doc["exit_code"] = static_cast<int>(e.code());
        doc["error"] = e.what();
        ctx.exit_code = e.code();
    }
    ctx.emit(doc, text);
    if (result.vacuum_error) ctx.err << "quicktools: " << util::display(result.vacuum_error->what()) << '\n';
}

}  // namespace

void register_db_drop_deprecated(CLI::App& db, Context& ctx) {
    auto opts = std::make_shared<DropOptions>();
    auto* cmd = db.add_subcommand("drop-deprecated",
                                  "Drop the six subscription columns from users with one table rewrite, once every "
                                  "user is on credit packs (irreversible; backs up first)");
    cmd->add_flag("--dry-run", opts->dry_run, "Print every SQL statement it would run; change nothing");
    cmd->add_flag("-y,--yes", opts->yes, "Go ahead without asking (required when not on a terminal)");
    cmd->add_flag("--force", opts->force,
                  "Drop even though some users still have a Stripe subscription recorded as active");
    auto* backup = cmd->add_option("--backup", opts->backup,
                                   "Back up to DEST first (default: <db>.backup-<time>; on PostgreSQL "
                                   "quicktools-<dbname>-<time>.dump, made by pg_dump)")
                       ->type_name("DEST");
    cmd->add_flag("--no-backup", opts->no_backup, "Do not back up first")->excludes(backup);
    cmd->add_flag("--vacuum", opts->vacuum,
                  "VACUUM afterwards to give the freed space back to the file system (SQLite; "
                  "not needed on PostgreSQL)");
    cmd->footer(
        "Examples:\n  quicktools db drop-deprecated --dry-run\n"
        "  quicktools db drop-deprecated --yes --backup /var/backups/before-drop.db --vacuum");
    cmd->callback([&ctx, opts] { render_drop_deprecated(run_drop_deprecated(*opts, ctx), *opts, ctx); });
}

}  // namespace quicktools::cli
