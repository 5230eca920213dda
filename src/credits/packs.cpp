#include "quicktools/credits/packs.hpp"

namespace quicktools::credits {

const Pack* find_pack(std::string_view name) {
    for (const auto& p : packs)
        if (p.name == name) return &p;
    return nullptr;
}

std::string_view support_tier(std::int64_t purchased) {
    std::string_view name = support_tiers.front().name;
    for (const auto& tier : support_tiers)
        if (purchased >= tier.min_purchased) name = tier.name;
    return name;
}

}  // namespace quicktools::credits
