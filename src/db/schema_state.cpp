#include "quicktools/db/schema_state.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "quicktools/db/introspect.hpp"

namespace quicktools::db {
namespace {

template <size_t N>
std::vector<std::string> present(const std::set<std::string>& columns, const std::array<std::string_view, N>& names) {
    std::vector<std::string> out;
    for (auto name : names)
        if (columns.count(std::string(name)) != 0) out.emplace_back(name);
    return out;
}

}  // namespace

std::string_view to_string(SchemaState state) {
    switch (state) {
        case SchemaState::legacy: return "legacy";
        case SchemaState::credit_packs: return "credit-packs";
        case SchemaState::final: return "final";
        case SchemaState::unknown: break;
    }
    return "unknown";
}

StateDetection detect_state(Database& db) {
    StateDetection out;
    out.has_tool_tables = std::all_of(tool_tables.begin(), tool_tables.end(),
                                      [&](std::string_view t) { return db.has_table(std::string(t)); });
    if (!db.has_table("users")) {
        out.explanation = "there is no users table, so this is not the web app's database";
        return out;
    }
    std::set<std::string> columns;
    for (const auto& c : table_columns(db, "users")) columns.insert(c.name);
    for (auto required : {"id", "email"}) {
        if (columns.count(required) == 0) {
            out.explanation = fmt::format("users has no {} column, so this is not the web app's database", required);
            return out;
        }
    }
    const auto credit = present(columns, credit_pack_columns);
    const auto deprecated = present(columns, deprecated_columns);
    const bool all_credit = credit.size() == credit_pack_columns.size();
    const bool all_deprecated = deprecated.size() == deprecated_columns.size();

    if (credit.empty() && all_deprecated) {
        out.state = SchemaState::legacy;
        out.explanation = "users has the six subscription columns and no credit-pack columns";
    } else if (all_credit && all_deprecated) {
        out.state = SchemaState::credit_packs;
        out.explanation = "users has the six credit-pack columns and still the six subscription columns";
    } else if (all_credit && deprecated.empty()) {
        out.state = SchemaState::final;
        out.explanation = "users has the six credit-pack columns and none of the subscription columns";
    } else {
        out.explanation = fmt::format(
            "users has {} of the 6 credit-pack columns ({}) and {} of the 6 subscription columns ({}); "
            "a database the tool can work on has all or none of each, so it was changed by hand or by an "
            "interrupted script: compare it with `quicktools db verify -v` and repair it from a backup",
            credit.size(), credit.empty() ? "none" : fmt::format("{}", fmt::join(credit, ", ")), deprecated.size(),
            deprecated.empty() ? "none" : fmt::format("{}", fmt::join(deprecated, ", ")));
    }
    return out;
}

}  // namespace quicktools::db
