#include "table_rewrite.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "quicktools/db/ddl_rewrite.hpp"
#include "quicktools/db/introspect.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/db/schema_state.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/util/system.hpp"
#include "sqlite_connection.hpp"

namespace quicktools::db::sqlite {
namespace {

constexpr const char* rewrite_new_table = "quicktools_users_new";

const std::string& rewrite_query(std::string_view name) { return sql::query(Engine::sqlite, "drop", name); }

struct RewriteCandidate {
    std::string type, name, sql;
    std::string reason;  // empty while it stays
};

std::string rewrite_lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string rewrite_literal(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

// Views and triggers that refer to users (directly or through such a view), and the indexes
// and triggers on users: all of them must go before users is dropped, and come back after.
std::vector<RewriteCandidate> rewrite_dependents(Database& db) {
    std::vector<RewriteCandidate> all;
    Statement q(db, rewrite_query("dependents"));
    std::vector<bool> on_users;
    while (q.step()) {
        all.push_back({q.column("type").text(), q.column("name").text(), q.column("sql").text(), {}});
        on_users.push_back(q.column("table_name").text() == "users");
    }
    std::set<std::string> watched = {"users"};
    std::vector<bool> chosen(all.size(), false);
    for (bool grew = true; grew;) {
        grew = false;
        for (std::size_t i = 0; i < all.size(); ++i) {
            if (chosen[i]) continue;
            const bool index_on_users = all[i].type == "index" && on_users[i];
            if (!index_on_users && (all[i].type == "index" || ddl::first_name_used(all[i].sql, watched).empty()))
                continue;
            chosen[i] = grew = true;
            if (all[i].type == "view") watched.insert(rewrite_lower(all[i].name));
        }
    }
    std::vector<RewriteCandidate> out;
    for (std::size_t i = 0; i < all.size(); ++i)
        if (chosen[i]) out.push_back(std::move(all[i]));
    return out;
}

// Runs the rewrite on an empty copy of the schema, so the plan is exactly what will run: an
// object that SQLite no longer accepts is moved to the dropped ones with its reason.
void rehearse_rewrite(Database& db, const std::vector<std::string>& before, std::vector<RewriteCandidate>& objects) {
    Database model = Database::in_memory();
    Statement q(db, rewrite_query("schema_copy"));
    while (q.step()) {
        try {
            model.execute(q.column("sql").text());
        } catch (const std::exception&) {
            // Shadow tables of virtual tables already exist, and the like: not needed here.
        }
    }
    for (const auto& statement : before) {
        try {
            model.execute(statement);
        } catch (const std::exception& e) {
            throw Error(
                fmt::format("cannot rewrite the users table of {}: SQLite rejects `{}` ({}); nothing was "
                            "changed",
                            db.path(), statement.substr(0, statement.find('(')), e.what()));
        }
    }
    for (auto& object : objects) {
        if (!object.reason.empty()) continue;
        try {
            model.execute(object.sql);
            if (object.type == "view")  // CREATE VIEW does not look at what the view selects
                Statement check(model, "SELECT * FROM " + ddl::quote_identifier(object.name));
        } catch (const std::exception& e) {
            object.reason = fmt::format("no longer valid without the dropped columns ({})", e.what());
            try {  // so that objects built on this one are found invalid too
                model.execute(fmt::format("DROP {} IF EXISTS {}", object.type, ddl::quote_identifier(object.name)));
            } catch (const std::exception&) {
            }
        }
    }
}

}  // namespace

void plan_users_rewrite(Database& db, const DropOptions& options, DropPlan& plan) {
    connection_of(db, "dropping the deprecated columns by a table rewrite");
    if (db.has_table(rewrite_new_table))
        throw refusal(
            fmt::format("refusing to drop columns from {}: a table named {} is in the way; it is not the "
                        "tool's, so look at it and remove it",
                        db.path(), rewrite_new_table));

    const std::set<std::string> dropped_columns(deprecated_columns.begin(), deprecated_columns.end());
    Statement users_sql(db, rewrite_query("users_sql"));
    users_sql.step();
    auto table = ddl::drop_columns(users_sql.column("sql").text(), dropped_columns, rewrite_new_table);
    plan.new_table_sql = table.sql;
    plan.removed_constraints = table.removed_constraints;

    std::vector<std::string> kept;
    for (const auto& column : table_columns(db, "users"))
        if (dropped_columns.count(column.name) == 0) kept.push_back(ddl::quote_identifier(column.name));

    auto objects = rewrite_dependents(db);
    std::set<std::string> gone;
    for (auto& object : objects) {
        if (auto column = ddl::first_name_used(object.sql, dropped_columns); !column.empty())
            object.reason = fmt::format("uses the dropped column {}", column);
        else if (auto view = ddl::first_name_used(object.sql, gone); !view.empty())
            object.reason = fmt::format("uses the view {}, which is dropped", view);
        if (!object.reason.empty() && object.type == "view") gone.insert(rewrite_lower(object.name));
    }

    std::vector<std::string>& rewrite = plan.rewrite;
    for (auto it = objects.rbegin(); it != objects.rend(); ++it)
        if (it->type != "index")
            rewrite.push_back(
                fmt::format("DROP {} {}", it->type == "view" ? "VIEW" : "TRIGGER", ddl::quote_identifier(it->name)));
    rewrite.push_back(table.sql);
    rewrite.push_back(fmt::format("INSERT INTO {} ({}) SELECT {} FROM users", rewrite_new_table, fmt::join(kept, ", "),
                                  fmt::join(kept, ", ")));
    rewrite.push_back("DROP TABLE users");
    rewrite.push_back(fmt::format("ALTER TABLE {} RENAME TO users", rewrite_new_table));
    if (db.has_table("sqlite_sequence")) {
        Statement seq(db, rewrite_query("users_sequence"));
        if (seq.step())
            rewrite.push_back(
                fmt::format("UPDATE sqlite_sequence SET seq = {} WHERE name = 'users'", seq.column("seq").int64()));
    }
    rehearse_rewrite(db, rewrite, objects);
    for (const auto& object : objects) {
        if (object.reason.empty()) {
            rewrite.push_back(object.sql);
            plan.recreated.push_back({object.type, object.name, {}});
        } else {
            plan.dropped.push_back({object.type, object.name, object.reason});
        }
    }

    const Migration& m = migration(drop_deprecated_version, Engine::sqlite);
    plan.statements = {"PRAGMA foreign_keys = OFF", "PRAGMA secure_delete = FAST", "BEGIN IMMEDIATE"};
    plan.statements.insert(plan.statements.end(), rewrite.begin(), rewrite.end());
    plan.statements.push_back(
        fmt::format("INSERT INTO quicktools_schema_history (version, name, checksum, kind, applied_at, applied_by) "
                    "VALUES ({}, {}, {}, 'applied', {}, {})",
                    m.version, rewrite_literal(m.name), rewrite_literal(m.checksum),
                    rewrite_literal(util::now_timestamp()), rewrite_literal(options.actor)));
    plan.statements.insert(plan.statements.end(), {"PRAGMA foreign_key_check", "PRAGMA quick_check(users)", "COMMIT",
                                                   "PRAGMA foreign_keys = ON"});
    if (options.vacuum) plan.statements.push_back("VACUUM");
}

RewriteSettings::RewriteSettings(Database& db) : m_db(db) {
    connection_of(db, "dropping the deprecated columns by a table rewrite");
    Statement q(m_db, rewrite_query("secure_delete"));
    if (q.step()) m_secure_delete = q.column(0).int32();
    m_db.execute("PRAGMA foreign_keys = OFF");
    m_db.execute("PRAGMA secure_delete = FAST");
}

RewriteSettings::~RewriteSettings() {
    try {
        m_db.execute("PRAGMA foreign_keys = ON");
        m_db.execute(fmt::format("PRAGMA secure_delete = {}", m_secure_delete));
    } catch (...) {
        // Only this connection had them changed, and it is about to go away with the error.
    }
}

std::int64_t run_users_rewrite(Database& db, const DropPlan& plan) {
    auto& connection = connection_of(db, "dropping the deprecated columns by a table rewrite");
    std::int64_t users = 0;
    for (const auto& statement : plan.rewrite) {
        db.execute(statement);
        if (statement.rfind("INSERT INTO", 0) == 0) users = connection.last_changes();
    }
    return users;
}

void check_users_rewrite(Database& db) {
    {
        Statement q(db, rewrite_query("foreign_key_check"));
        std::int64_t rows = 0;
        std::string example;
        while (q.step()) {
            if (rows++ == 0)
                example = fmt::format("{} row {} has no {} row", q.column("table").text(), q.column("rowid").text(),
                                      q.column("parent").text());
        }
        if (rows > 0)
            throw Error(
                fmt::format("{}: the foreign key check found {} row(s) pointing nowhere (for example, {}); "
                            "nothing was changed. Repair them first (`PRAGMA foreign_key_check` lists them)",
                            db.path(), rows, example));
    }
    Statement q(db, rewrite_query("users_quick_check"));
    const bool has_row = q.step();
    if (has_row && q.column(0).text() == "ok") return;
    throw Error(fmt::format("{}: the integrity check of the rewritten users table failed ({}); nothing was changed",
                            db.path(), has_row ? q.column(0).text() : "no answer"));
}

}  // namespace quicktools::db::sqlite
