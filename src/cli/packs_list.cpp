// `quicktools packs list`: the credit packs of the design document.
#include <fmt/format.h>

#include "commands.hpp"
#include "quicktools/credits/packs.hpp"

namespace quicktools::cli {
namespace {

// Cents per credit, to two decimals ("5.00", "2.50").
std::string cents_per_credit(const credits::Pack& p) {
    const auto hundredths = (p.price_cents * 100 + p.credits / 2) / p.credits;
    return fmt::format("{}.{:02d}", hundredths / 100, hundredths % 100);
}

}  // namespace

void register_packs_group(CLI::App& app, Context& ctx) {
    auto* packs = app.add_subcommand("packs", "The credit packs on sale");
    packs->require_subcommand(1);
    auto* cmd = packs->add_subcommand("list", "List the packs: price, credits, price per credit, API unlock, badge");
    cmd->footer("Example:\n  quicktools packs list --json");
    cmd->callback([&ctx] {
        nlohmann::json list = nlohmann::json::array();
        std::string text = fmt::format("{:<10} {:>9} {:>8} {:>16}  {:<11} {}\n", "pack", "price", "credits",
                                       "cents per credit", "unlocks API", "badge");
        for (const auto& p : credits::packs) {
            list.push_back({{"name", p.name},
                            {"price_cents", p.price_cents},
                            {"currency", credits::currency},
                            {"credits", p.credits},
                            {"cents_per_credit", std::stod(cents_per_credit(p))},
                            {"unlocks_api", p.unlocks_api},
                            {"badge", p.badge.empty() ? nlohmann::json() : nlohmann::json(p.badge)}});
            text += fmt::format("{:<10} {:>9} {:>8} {:>16}  {:<11} {}\n", p.name,
                                fmt::format("${}.{:02d}", p.price_cents / 100, p.price_cents % 100), p.credits,
                                cents_per_credit(p), p.unlocks_api ? "yes" : "no", p.badge);
        }
        ctx.emit({{"packs", list}}, text);
    });
}

}  // namespace quicktools::cli
