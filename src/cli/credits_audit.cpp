// `quicktools credits audit [--limit N]`: the credit invariant of every user; exit 3 on any violation.
#include <fmt/format.h>

#include "commands.hpp"
#include "metrics.hpp"
#include "quicktools/credits/audit.hpp"
#include "quicktools/util/text.hpp"

namespace quicktools::cli {
namespace {

nlohmann::json violation_json(const credits::Violation& v) {
    nlohmann::json problems = nlohmann::json::array();
    if (v.negative_balance()) problems.push_back("negative_balance");
    if (v.invariant_broken()) problems.push_back("invariant");
    return {{"user_id", v.user_id},
            {"email", v.email},
            {"problems", problems},
            {"balance", v.balance},
            {"purchased_total", v.purchased_total},
            {"lifetime_used", v.lifetime_used},
            {"base", v.base},
            {"ledger_delta", v.ledger_delta},
            {"ledger_entries", v.ledger_entries},
            {"expected", v.expected()},
            {"actual", v.actual()},
            {"difference", v.difference()},
            {"expected_balance", v.expected_balance()}};
}

std::string violation_text(const credits::Violation& v) {
    std::string out = fmt::format("user {} ({}):", v.user_id, util::display(v.email));
    if (v.has_null) return out + " a credit column is NULL";
    if (v.negative_balance()) out += fmt::format(" negative balance {};", v.balance);
    if (v.invariant_broken())
        out += fmt::format(
            " balance {} - purchased {} + used {} = {}, expected {} (base {} {:+d} from {} ledger "
            "entries): off by {:+d}, so the balance would be {};",
            v.balance, v.purchased_total, v.lifetime_used, v.actual(), v.expected(), v.base, v.ledger_delta,
            v.ledger_entries, v.difference(), v.expected_balance());
    out.pop_back();
    return out;
}

}  // namespace

void register_credits_audit(CLI::App& group, Context& ctx) {
    struct Options {
        std::int64_t limit = 100;
        std::string metrics_file;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = group.add_subcommand(
        "audit",
        "Check every user: balance - purchased + used = base + the ledger's recorded changes, and no "
        "negative balance; exit 3 if any user fails");
    cmd->add_option("--limit", opts->limit, "List at most N violations (all are counted; 0 lists all; default 100)")
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{1'000'000'000}))
        ->type_name("N");
    add_metrics_option(*cmd, opts->metrics_file);
    cmd->footer(
        "Examples:\n  quicktools credits audit\n  quicktools --json credits audit --limit 0 > audit.json\n"
        "Exit codes: 0 every user holds; 3 violations found.");
    cmd->callback([&ctx, opts] {
        run_with_metrics(opts->metrics_file, "credits_audit", ctx, [&] {
            auto database = ctx.open(db::Access::read_only);
            const auto r = credits::audit(database, {opts->limit});
            nlohmann::json listed = nlohmann::json::array();
            std::string text;
            for (const auto& v : r.listed) {
                listed.push_back(violation_json(v));
                text += violation_text(v) + "\n";
            }
            if (r.clean()) {
                text = fmt::format(
                    "Audited {} users: every balance matches its purchases, usage and recorded "
                    "adjustments, and none is negative.",
                    r.users_checked);
            } else {
                text += fmt::format(
                    "Audited {} users: {} violations ({} with the invariant broken, {} negative "
                    "balances){}.",
                    r.users_checked, r.violations, r.invariant_broken, r.negative_balances,
                    static_cast<std::int64_t>(r.listed.size()) < r.violations
                        ? fmt::format("; the first {} listed (--limit 0 lists all)", r.listed.size())
                        : "");
                ctx.exit_code = ExitCode::check_failed;
            }
            ctx.emit({{"ok", r.clean()},
                      {"users_checked", r.users_checked},
                      {"violations", r.violations},
                      {"invariant_broken", r.invariant_broken},
                      {"negative_balances", r.negative_balances},
                      {"listed", listed}},
                     text);
            return std::vector<MetricSample>{
                {"quicktools_audit_users_checked", {}, static_cast<double>(r.users_checked)},
                {"quicktools_audit_violations", {}, static_cast<double>(r.violations)},
                {"quicktools_audit_violations_by_problem",
                 {{"problem", "invariant"}},
                 static_cast<double>(r.invariant_broken)},
                {"quicktools_audit_violations_by_problem",
                 {{"problem", "negative_balance"}},
                 static_cast<double>(r.negative_balances)},
                {"quicktools_attention_items", {}, static_cast<double>(r.violations)}};
        });
    });
}

}  // namespace quicktools::cli
