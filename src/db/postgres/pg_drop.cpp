#include "pg_drop.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>
#include <stdexcept>

#include "pg_connection.hpp"
#include "quicktools/db/ddl_rewrite.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/db/schema_state.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::db::postgres {
namespace {

const std::string& pgdrop_query(std::string_view name) { return sql::query(Engine::postgres, "drop", name); }

std::string pgdrop_literal(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

void pgdrop_require(Database& db) {
    if (db.engine() != Engine::postgres)
        throw Error(
            fmt::format("{}: dropping the deprecated columns with ALTER TABLE is PostgreSQL's way; this "
                        "database is not on PostgreSQL",
                        db.path()));
}

}  // namespace

void plan_users_drop(Database& db, const DropOptions& options, DropPlan& plan) {
    pgdrop_require(db);
    plan.rewrites_table = false;
    std::vector<std::string> present;
    for (const auto& column : db.table_columns("users"))
        for (const auto& deprecated : deprecated_columns)
            if (column == deprecated) present.push_back(column);
    const std::string names = fmt::format("{}", fmt::join(present, ","));

    std::vector<std::string> drop_views, drop_triggers;
    {
        Statement q(db, pgdrop_query("dependent_views"));
        q.bind(1, names);
        std::set<std::string> gone;
        struct View {
            std::string name;
            bool materialized;
        };
        std::vector<View> dropped_views;
        while (q.step()) {
            const std::string name = q.column("name").text();
            const std::string uses = q.column("uses").text();
            const std::string through = q.column("through").text();
            std::string reason;
            if (!uses.empty())
                reason = fmt::format("uses the dropped column {}", uses);
            else if (!through.empty() && gone.count(through) != 0)
                reason = fmt::format("uses the view {}, which is dropped", through);
            if (reason.empty()) {
                plan.recreated.push_back({"view", name, {}});
            } else {
                gone.insert(name);
                plan.dropped.push_back({"view", name, reason});
                dropped_views.push_back({name, q.column("materialized").int64() != 0});
            }
        }
        // Deepest first: a view built on another goes before it.
        for (auto it = dropped_views.rbegin(); it != dropped_views.rend(); ++it)
            drop_views.push_back(fmt::format("DROP {}VIEW {}", it->materialized ? "MATERIALIZED " : "",
                                             ddl::quote_identifier(it->name)));
    }
    {
        Statement q(db, pgdrop_query("users_triggers"));
        q.bind(1, names);
        const std::set<std::string> watched(present.begin(), present.end());
        while (q.step()) {
            const std::string name = q.column("name").text();
            std::string reason;
            if (const std::string uses = q.column("uses").text(); !uses.empty())
                reason = fmt::format("uses the dropped column {}", uses);
            else if (const std::string used = ddl::first_name_used(q.column("function_body").text(), watched);
                     !used.empty())
                reason =
                    fmt::format("its function {} uses the dropped column {}", q.column("function_name").text(), used);
            if (reason.empty()) {
                plan.recreated.push_back({"trigger", name, {}});
            } else {
                plan.dropped.push_back({"trigger", name, reason});
                drop_triggers.push_back(fmt::format("DROP TRIGGER {} ON users", ddl::quote_identifier(name)));
            }
        }
    }
    {
        Statement q(db, pgdrop_query("users_indexes"));
        q.bind(1, names);
        while (q.step()) {
            const std::string uses = q.column("uses").text();
            if (uses.empty())
                plan.recreated.push_back({"index", q.column("name").text(), {}});
            else
                plan.dropped.push_back(
                    {"index", q.column("name").text(), fmt::format("uses the dropped column {}", uses)});
        }
    }
    {
        Statement q(db, pgdrop_query("users_constraints"));
        q.bind(1, names);
        while (q.step())
            plan.removed_constraints.push_back(
                fmt::format("{} {}", q.column("name").text(), q.column("definition").text()));
    }

    std::vector<std::string>& rewrite = plan.rewrite;
    rewrite.insert(rewrite.end(), drop_views.begin(), drop_views.end());
    rewrite.insert(rewrite.end(), drop_triggers.begin(), drop_triggers.end());
    std::vector<std::string> drops;
    for (const auto& column : present) drops.push_back("DROP COLUMN " + ddl::quote_identifier(column));
    // No CASCADE: whatever the plan did not foresee makes PostgreSQL refuse, and nothing changes.
    if (!drops.empty()) rewrite.push_back(fmt::format("ALTER TABLE users {}", fmt::join(drops, ", ")));

    const Migration& m = migration(drop_deprecated_version, Engine::postgres);
    plan.statements = {"BEGIN", "LOCK TABLE users IN EXCLUSIVE MODE"};
    plan.statements.insert(plan.statements.end(), rewrite.begin(), rewrite.end());
    plan.statements.push_back(
        fmt::format("INSERT INTO quicktools_schema_history (version, name, checksum, kind, applied_at, applied_by) "
                    "VALUES ({}, {}, {}, 'applied', {}, {})",
                    m.version, pgdrop_literal(m.name), pgdrop_literal(m.checksum),
                    pgdrop_literal(util::now_timestamp()), pgdrop_literal(options.actor)));
    plan.statements.push_back("COMMIT");
    // No VACUUM even with --vacuum: DROP COLUMN frees nothing to give back (see drop_deprecated.hpp).
}

void lock_users(Database& db) {
    pgdrop_require(db);
    db.execute("LOCK TABLE users IN EXCLUSIVE MODE");
}

std::int64_t run_users_drop(Database& db, const DropPlan& plan) {
    pgdrop_require(db);
    for (const auto& statement : plan.rewrite) db.execute(statement);
    Statement q(db, "SELECT count(*) FROM users");
    q.step();
    return q.column(0).int64();
}

std::int64_t users_bytes(Database& db) {
    pgdrop_require(db);
    Statement q(db, pgdrop_query("users_bytes"));
    return q.step() ? q.column("bytes").int64() : 0;
}

}  // namespace quicktools::db::postgres
