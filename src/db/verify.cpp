#include "quicktools/db/verify.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>

#include "quicktools/db/engines.hpp"
#include "quicktools/db/introspect.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/db/sql_files.hpp"

namespace quicktools::db {
namespace {

// The schema the versions build: in a private in-memory SQLite database, or on PostgreSQL in a
// scratch schema of a second connection whose transaction never commits.
Database expected_model(Database& live, const std::vector<int>& versions) {
    Database model =
        live.engine() == Engine::postgres ? Database(open_postgres_scratch(live.connection())) : Database::in_memory();
    for (int v : versions) model.execute(migration(v, model.engine()).sql);
    model.execute(sql::query(model.engine(), "history", "create"));
    return model;
}

std::string normalised_type(std::string type) {
    std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::toupper(c); });
    return type;
}

bool same_column(const ColumnInfo& a, const ColumnInfo& b) {
    return normalised_type(a.type) == normalised_type(b.type) && a.not_null == b.not_null &&
           a.default_value == b.default_value;
}

void compare_columns(Database& live, Database& model, const std::string& table, VerifyReport& report) {
    std::map<std::string, ColumnInfo> have;
    for (auto& c : table_columns(live, table)) have.emplace(c.name, c);
    std::set<std::string> expected_names;
    for (const auto& want : table_columns(model, table)) {
        expected_names.insert(want.name);
        auto it = have.find(want.name);
        if (it == have.end()) {
            report.drift.push_back({table + "." + want.name, "missing (expected " + describe(want) + ")"});
        } else if (!same_column(it->second, want)) {
            report.drift.push_back(
                {table + "." + want.name, fmt::format("is {}, expected {}", describe(it->second), describe(want))});
        }
    }
    const bool tool_owned = table.rfind("quicktools_", 0) == 0;
    for (const auto& [name, column] : have) {
        if (expected_names.count(name) != 0) continue;
        const bool owned_by_tool =
            tool_owned ||
            (table == "users" &&
             (std::find(credit_pack_columns.begin(), credit_pack_columns.end(), name) != credit_pack_columns.end() ||
              std::find(deprecated_columns.begin(), deprecated_columns.end(), name) != deprecated_columns.end()));
        if (owned_by_tool)
            report.drift.push_back({table + "." + name, "should not exist in this state"});
        else
            report.not_owned.push_back(fmt::format("column {}.{} {}", table, name, describe(column)));
    }
}

}  // namespace

VerifyReport verify_schema(Database& live) {
    const SchemaStatus status = schema_status(live);
    VerifyReport report;
    report.state = status.detected.state;
    report.state_explanation = status.detected.explanation;
    if (status.detected.state == SchemaState::unknown) {
        report.drift.push_back({"schema", status.detected.explanation});
        return report;
    }
    if (status.has_history) {
        for (const auto& row : status.history) report.expected_versions.push_back(row.version);
        for (const auto& e : status.edited)
            report.drift.push_back({fmt::format("migration {:03d}_{}", e.version, e.name),
                                    fmt::format("was applied with checksum {}, this build has {}: the migration "
                                                "file was edited after it was applied",
                                                e.recorded_checksum.substr(0, 12), e.current_checksum.substr(0, 12))});
    } else {
        report.expected_versions = status.baseline;
        report.baseline_pending = true;
    }

    Database model = expected_model(live, report.expected_versions);
    const auto model_objects = schema_objects(model);
    std::set<std::string> expected_tables;
    for (const auto& o : model_objects) {
        if (o.type != "table") continue;
        expected_tables.insert(o.name);
        if (!live.has_table(o.name)) {
            if (o.name != history_table || status.has_history) report.drift.push_back({"table " + o.name, "missing"});
            continue;
        }
        compare_columns(live, model, o.name, report);
    }

    std::map<std::string, IndexInfo> live_indexes;
    for (auto& i : indexes(live)) live_indexes.emplace(i.name, i);
    std::set<std::string> expected_indexes;
    for (const auto& want : indexes(model)) {
        if (want.automatic) continue;
        expected_indexes.insert(want.name);
        auto it = live_indexes.find(want.name);
        if (it == live_indexes.end()) {
            if (live.has_table(want.table))
                report.drift.push_back({"index " + want.name, fmt::format("missing (expected on {}({}))", want.table,
                                                                          fmt::join(want.columns, ", "))});
        } else if (it->second.columns != want.columns || it->second.unique != want.unique) {
            report.drift.push_back(
                {"index " + want.name,
                 fmt::format("is {}on {}({}), expected {}on {}({})", it->second.unique ? "unique " : "",
                             it->second.table, fmt::join(it->second.columns, ", "), want.unique ? "unique " : "",
                             want.table, fmt::join(want.columns, ", "))});
        }
    }

    std::set<std::string> expected_triggers;
    for (const auto& o : model_objects)
        if (o.type == "trigger") expected_triggers.insert(o.name);
    for (const auto& o : schema_objects(live)) {
        const bool tool_owned = o.name.rfind("quicktools_", 0) == 0 || o.name.rfind("ix_quicktools_", 0) == 0;
        if (o.type == "trigger" && expected_triggers.count(o.name) != 0) {
            expected_triggers.erase(o.name);
            continue;
        }
        if ((o.type == "table" && expected_tables.count(o.name) != 0) ||
            (o.type == "index" && (expected_indexes.count(o.name) != 0 || o.sql.empty())))
            continue;
        if (tool_owned)
            report.drift.push_back({o.type + " " + o.name, "is not part of this quicktools version's schema"});
        else
            report.not_owned.push_back(fmt::format("{} {}", o.type, o.name));
    }
    for (const auto& name : expected_triggers) report.drift.push_back({"trigger " + name, "missing"});
    return report;
}

}  // namespace quicktools::db
