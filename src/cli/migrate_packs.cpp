// `quicktools migrate packs [--dry-run] [--policy FILE] [--backup DEST | --no-backup]
// [--cancel-subscriptions [API options]]`.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <limits>
#include <optional>
#include <vector>

#include "api_options.hpp"
#include "commands.hpp"
#include "migrate_render.hpp"
#include "quicktools/db/backup.hpp"
#include "quicktools/migrate/cancel_subscriptions.hpp"
#include "quicktools/migrate/packs_migration.hpp"
#include "quicktools/stripe/account.hpp"
#include "quicktools/util/system.hpp"
#include "quicktools/util/text.hpp"

namespace quicktools::cli {
namespace {

struct MigratePacksOptions {
    bool dry_run = false;
    std::string policy_file;
    std::string backup;
    bool no_backup = false;
    bool cancel = false;
    std::int64_t batch = 0;
    ApiOptions api;
    std::vector<std::string> api_options_given;  // the API options on the command line
};

// The API options, which only --cancel-subscriptions uses.
constexpr const char* migrate_api_option_names[] = {"--live", "--api-key-file", "--timeout", "--connect-timeout",
                                                    "--max-retries"};

struct MigratePacksRun {
    std::string path;
    migrate::MigrateResult migration;
    std::optional<migrate::CancelSubscriptionsResult> cancel;  // with --cancel-subscriptions

    bool cancel_incomplete() const { return cancel && (cancel->failed > 0 || cancel->not_attempted > 0); }
};

std::string schema_names(const std::vector<int>& versions) {
    std::vector<std::string> names;
    for (int v : versions) names.push_back(fmt::format("{:03d}_{}", v, db::migration(v).name));
    return fmt::format("{}", fmt::join(names, ", "));
}

nlohmann::json result_json(const migrate::MigrateResult& r) {
    nlohmann::json doc{{"dry_run", r.dry_run},
                       {"already_done", r.already_done},
                       {"changed", !r.dry_run && !r.already_done},
                       {"mode", migrate::to_string(r.mode)},
                       {"policy", r.policy},
                       {"state_before", db::to_string(r.state_before)},
                       {"schema_applied", r.schema_applied},
                       {"backup", r.backup_path ? nlohmann::json{{"path", *r.backup_path}, {"bytes", r.backup_bytes}}
                                                : nlohmann::json()},
                       {"summary", cli::to_json(r.totals)},
                       {"by_tier", cli::to_json(r.by_tier, BreakdownColumns::tier)},
                       {"by_tier_status", cli::to_json(r.by_tier_status, BreakdownColumns::tier_and_status)},
                       {"billing_subscriptions", billing_json(r.billing_count, r.billing)}};
    if (r.completion)
        doc["completed"] = {{"at", r.completion->completed_at},
                            {"by", r.completion->completed_by},
                            {"users", r.completion->users},
                            {"policy", r.completion->policy},
                            {"mode", r.completion->mode}};
    return doc;
}

std::string headline(const migrate::MigrateResult& r, const std::string& path) {
    if (r.already_done)
        return fmt::format("{} was already migrated on {} by {} ({} users, policy '{}', {}); nothing changed.\n", path,
                           util::display(r.completion->completed_at), util::display(r.completion->completed_by),
                           r.completion->users, util::display(r.completion->policy),
                           r.completion->mode == "adopt" ? "adopted" : "converted");
    std::string out;
    const char* would = r.dry_run ? "Would " : "";
    if (!r.schema_applied.empty())
        out += fmt::format("{}{} the schema first: {}.\n", would, r.dry_run ? "upgrade" : "Upgraded",
                           schema_names(r.schema_applied));
    if (r.mode == migrate::Mode::adopt)
        out += fmt::format(
            "This database was already converted (state {}) without a migration record: balances are "
            "kept as they are and {} recorded as the opening of the credit audit (policy 'adopted').\n",
            db::to_string(r.state_before), r.dry_run ? "would be" : "were");
    else
        out += fmt::format("{} {} users with policy '{}'.\n", r.dry_run ? "Would migrate" : "Migrated",
                           r.dry_run ? r.totals.users : r.completion->users, util::display(r.policy));
    return out;
}

nlohmann::json cancel_json(const migrate::CancelSubscriptionsResult& c) {
    nlohmann::json failures = nlohmann::json::array();
    for (const auto& f : c.failures)
        failures.push_back({{"user_id", f.user_id}, {"subscription_id", f.subscription_id}, {"detail", f.detail}});
    return {{"ok", c.failed == 0 && c.not_attempted == 0},
            {"dry_run", c.dry_run},
            {"to_cancel", c.to_cancel},
            {"canceled", c.canceled},
            {"already_canceled", c.already_canceled},
            {"done_before", c.done_before},
            {"failed", c.failed},
            {"not_attempted", c.not_attempted},
            {"failures", failures}};
}

std::string cancel_text(const migrate::CancelSubscriptionsResult& c) {
    if (c.dry_run)
        return fmt::format("Would cancel {} Stripe subscription{} ({} cancelled by an earlier run).\n", c.to_cancel,
                           c.to_cancel == 1 ? "" : "s", c.done_before);
    std::string out = fmt::format(
        "Stripe subscriptions: {} cancelled now, {} already cancelled at Stripe, {} cancelled by an earlier run, "
        "{} failed{}.\n",
        c.canceled, c.already_canceled, c.done_before, c.failed,
        c.not_attempted > 0 ? fmt::format(", {} not attempted", c.not_attempted) : "");
    for (const auto& f : c.failures)
        out +=
            fmt::format("  user {:<8} {}: {}\n", f.user_id, util::display(f.subscription_id), util::display(f.detail));
    if (c.failed > 0 || c.not_attempted > 0)
        out += "Run `quicktools migrate packs --cancel-subscriptions` again to finish; cancelled ones are skipped.\n";
    return out;
}

// With --cancel-subscriptions the list of subscriptions still billing is left out: the
// cancellation's own section follows.
enum class BillingList { shown, left_out };

std::string to_text(const migrate::MigrateResult& r, const std::string& path, BillingList billing) {
    std::string out = headline(r, path);
    if (r.backup_path) out += fmt::format("Backup: {} ({} bytes)\n", *r.backup_path, r.backup_bytes);
    out += "\n" + totals_text(r.totals) + "\n";
    out += r.dry_run ? breakdown_text(r.by_tier_status, BreakdownColumns::tier_and_status)
                     : breakdown_text(r.by_tier, BreakdownColumns::tier);
    if (billing == BillingList::shown) out += "\n" + billing_text(r.billing_count, r.billing, 20);
    if (r.dry_run) out += "Dry run: nothing changed.\n";
    return out;
}

// A dry run that has not migrated yet has no per-user records to count from: the
// subscriptions it would cancel are the ones the plan says keep billing.
migrate::CancelSubscriptionsResult planned_cancellation(const migrate::MigrateResult& plan) {
    migrate::CancelSubscriptionsResult planned;
    planned.dry_run = true;
    planned.to_cancel = plan.billing_count;
    return planned;
}

MigratePacksRun run_migrate_packs(const MigratePacksOptions& opts, const Context& ctx) {
    if (!opts.cancel && !opts.api_options_given.empty())
        throw usage_error(fmt::format("{} only applies with --cancel-subscriptions", opts.api_options_given.front()));
    migrate::MigrateOptions options;
    if (!opts.policy_file.empty()) options.policy = migrate::load_policy(opts.policy_file);
    options.dry_run = opts.dry_run ? DryRun::yes : DryRun::no;
    options.actor = util::os_user();
    options.batch = opts.batch;
    if (!opts.no_backup)
        options.backup_path = opts.backup.empty() ? db::default_backup_path(ctx.options.db_path) : opts.backup;

    // The key first: a missing one must not leave the migration done and the cancelling not.
    std::optional<ApiConnection> api;
    if (opts.cancel && !opts.dry_run) api = connect_api(opts.api, ctx);

    auto database = ctx.open(opts.dry_run ? db::Access::read_only : db::Access::read_write);
    MigratePacksRun run;
    run.path = database.path();
    auto bar = ctx.progress("migrate packs");
    options.progress = bar.callback();
    run.migration = migrate::migrate_packs(database, options);
    bar.finish();
    if (!opts.cancel) return run;
    if (opts.dry_run && !run.migration.already_done) {
        run.cancel = planned_cancellation(run.migration);
        return run;
    }
    migrate::CancelOptions cancel_options;
    cancel_options.dry_run = options.dry_run;
    auto cancel_bar = ctx.progress("cancel subscriptions");
    cancel_options.progress = cancel_bar.callback();
    // The key must be of the account and mode this database belongs to: a test key answers "no
    // such subscription" for every live one.
    if (api) cancel_options.bind = stripe::binding_to_record(stripe::check_account(database, *api->client));
    run.cancel = migrate::cancel_subscriptions(database, api ? api->client.get() : nullptr, cancel_options);
    cancel_bar.finish();
    return run;
}

// Prints the result; exit 1 when a subscription could not be cancelled.
void render_migrate_packs(const MigratePacksRun& run, Context& ctx) {
    auto doc = result_json(run.migration);
    auto text = to_text(run.migration, run.path, run.cancel ? BillingList::left_out : BillingList::shown);
    if (run.cancel) {
        doc["cancel_subscriptions"] = cancel_json(*run.cancel);
        text += "\n" + cancel_text(*run.cancel);
    }
    if (run.cancel_incomplete()) {
        ctx.exit_code = ExitCode::failed;
        doc["ok"] = false;
        doc["exit_code"] = static_cast<int>(ExitCode::failed);
        // -q: only what failed, not the whole migration report.
        if (ctx.options.quiet) text = cancel_text(*run.cancel);
    }
    ctx.emit(doc, text);
}

}  // namespace

void register_migrate_packs(CLI::App& migrate, Context& ctx) {
    auto opts = std::make_shared<MigratePacksOptions>();
    auto* cmd = migrate.add_subcommand(
        "packs",
        "Give every subscription user credits by the policy (default: this month's unused allowance; API for "
        "active or trialing pro and business), in one transaction, after a backup");
    cmd->add_flag("--dry-run", opts->dry_run, "Show the plan per tier and status; change nothing");
    cmd->add_option("--policy", opts->policy_file,
                    "A JSON policy: per tier credits (\"unused\", \"full\" or a number), api, api_statuses, "
                    "purchased_equivalent (see README)")
        ->type_name("FILE");
    auto* backup = cmd->add_option("--backup", opts->backup,
                                   "Where to back the database up first (default: next to it, with a timestamp)")
                       ->type_name("DEST");
    cmd->add_flag("--no-backup", opts->no_backup, "Skip the backup (you have your own)")->excludes(backup);
    cmd->add_option("--batch", opts->batch,
                    "Commit every N users on their own (a re-run resumes after the last committed batch); "
                    "default: every user in one transaction")
        ->type_name("N")
        ->check(CLI::Range(std::int64_t{1}, std::numeric_limits<std::int64_t>::max()));
    cmd->add_flag("--cancel-subscriptions", opts->cancel,
                  "Then cancel at Stripe each migrated user's subscription still active, trialing or past_due "
                  "(each result recorded at once; run again to finish after a failure). Needs STRIPE_API_KEY");
    add_api_options(*cmd, opts->api);
    cmd->footer(
        "Examples:\n  quicktools migrate packs --dry-run\n"
        "  quicktools migrate packs --policy full-allowance.json --backup /var/backups/pre-packs.db\n"
        "  STRIPE_API_KEY=sk_test_... quicktools migrate packs --cancel-subscriptions\n"
        "Exit 1 when a subscription could not be cancelled (listed; a re-run finishes the rest).");
    cmd->callback([&ctx, opts, cmd] {
        for (const char* name : migrate_api_option_names)
            if (cmd->count(name) > 0) opts->api_options_given.emplace_back(name);
        render_migrate_packs(run_migrate_packs(*opts, ctx), ctx);
    });
}

}  // namespace quicktools::cli
