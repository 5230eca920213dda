// libFuzzer target: the `migrate packs --policy` file parser.
#include <cstddef>
#include <cstdint>
#include <string>

#include "quicktools/error.hpp"
#include "quicktools/migrate/policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace quicktools;
    try {
        auto policy = migrate::parse_policy(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
        for (const auto& tier : policy.tiers) (void)migrate::describe(tier);
    } catch (const Error&) {
        // a bad key or value: the one-sentence usage error
    }
    return 0;
}
