// `quicktools credits history USER [--limit N]`: the trail of one user.
#include <fmt/format.h>

#include "commands.hpp"
#include "quicktools/credits/trail.hpp"
#include "quicktools/util/text.hpp"

namespace quicktools::cli {
namespace {

nlohmann::json entry_json(const credits::StoredEntry& e) {
    return {{"id", e.id},
            {"created_at", e.created_at},
            {"kind", e.kind},
            {"amount", e.amount},
            {"balance_delta", e.balance_delta},
            {"purchased_delta", e.purchased_delta},
            {"used_delta", e.used_delta},
            {"balance_after", e.balance_after},
            {"reason", e.reason},
            {"actor", e.actor},
            {"source", e.source},
            {"idempotency_key", e.idempotency_key ? nlohmann::json(*e.idempotency_key) : nlohmann::json()}};
}

std::string to_text(const credits::History& h) {
    const auto& u = h.user;
    std::string out =
        fmt::format("{} (id {}): balance {}, purchased {}, used {}; {} ledger entries{}\n", util::display(u.email),
                    u.id, u.balance, u.purchased_total, u.lifetime_used, h.total_entries,
                    h.entries.size() < static_cast<std::size_t>(h.total_entries)
                        ? fmt::format(" (the newest {} shown)", h.entries.size())
                        : "");
    if (h.entries.empty()) return out + "No adjustments recorded by quicktools for this user.";
    out += fmt::format("{:<26}  {:<15}  {:>7}  {:>8}  {:<12}  {:<18}  {}\n", "time (UTC)", "kind", "change", "balance",
                       "actor", "source", "reason [key]");
    for (const auto& e : h.entries) {
        out += fmt::format("{:<26}  {:<15}  {:>+7d}  {:>8}  {:<12}  {:<18}  {}", util::display(e.created_at),
                           util::display(e.kind), e.balance_delta, e.balance_after, util::display(e.actor),
                           util::display(e.source), util::display(e.reason));
        if (e.idempotency_key) out += fmt::format(" [{}]", util::display(*e.idempotency_key));
        out += "\n";
    }
    return out;
}

}  // namespace

void register_credits_history(CLI::App& group, Context& ctx) {
    struct Options {
        std::string user;
        std::int64_t limit = 0;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = group.add_subcommand("history",
                                     "List the credit changes quicktools recorded for a user (time, kind, change, "
                                     "balance after, actor, source, reason, key), oldest first");
    cmd->add_option("USER", opts->user, "The user: numeric id or email")->required()->type_name("ID|EMAIL");
    cmd->add_option("--limit", opts->limit, "Show only the newest N entries (default: all)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000'000}))
        ->type_name("N");
    cmd->footer(
        "Examples:\n  quicktools credits history alice@example.com\n  quicktools --json credits history 42 "
        "--limit 20");
    cmd->callback([&ctx, opts] {
        auto database = ctx.open(db::Access::read_only);
        const auto h = credits::history(database, opts->user, opts->limit);
        nlohmann::json entries = nlohmann::json::array();
        for (const auto& e : h.entries) entries.push_back(entry_json(e));
        ctx.emit({{"user",
                   {{"id", h.user.id},
                    {"email", h.user.email},
                    {"balance", h.user.balance},
                    {"purchased_total", h.user.purchased_total},
                    {"lifetime_used", h.user.lifetime_used}}},
                  {"total_entries", h.total_entries},
                  {"entries", entries}},
                 to_text(h));
    });
}

}  // namespace quicktools::cli
