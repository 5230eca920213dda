#include "quicktools/credits/packs.hpp"

namespace quicktools::credits {

const Pack* find_pack(std::string_view name) {
    for (const auto& p : packs)
        if (p.name == name) return &p;
    return nullptr;
}

std::string_view support_tier(std::int64_t purchased) {
    if (purchased >= 5000) return "Dedicated (12h response)";
    if (purchased >= 1200) return "Priority (24h response)";
    if (purchased >= 500) return "Email (48h response)";
    return "Community";
}

}  // namespace quicktools::credits
