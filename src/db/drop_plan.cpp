// Planning `db drop-deprecated`: the safety rules, the new users DDL, what becomes of each
// index, trigger and view, and a rehearsal of the exact statements on an empty copy of the schema.
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "quicktools/db/ddl_rewrite.hpp"
#include "quicktools/db/drop_deprecated.hpp"
#include "quicktools/db/introspect.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::db {
namespace {

constexpr const char* new_table = "quicktools_users_new";

struct Candidate {
    std::string type, name, sql;
    std::string reason;  // empty while it stays
};

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string literal(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

void check_state(Database& db, const SchemaStatus& status) {
    const auto& path = db.path();
    switch (status.detected.state) {
        case SchemaState::unknown:
            throw refusal(fmt::format("refusing to drop columns from {}: {}", path, status.detected.explanation));
        case SchemaState::legacy:
            throw refusal(fmt::format("refusing to drop the subscription columns of {}: it has no credit-pack "
                                      "columns yet; run `quicktools db upgrade` and `quicktools migrate packs` first",
                                      path));
        default: break;
    }
    if (!status.has_history)
        throw refusal(fmt::format("refusing to drop columns from {}: it has no schema history yet; run `quicktools "
                                  "db upgrade` and `quicktools migrate packs` first",
                                  path));
    if (!status.edited.empty())
        throw refusal(fmt::format("refusing to drop columns from {}: applied migration {:03d}_{} differs from this "
                                  "quicktools build; use the quicktools version that applied it",
                                  path, status.edited.front().version, status.edited.front().name));
    for (int v : status.pending)
        if (v != drop_deprecated_version)
            throw refusal(fmt::format("refusing to drop columns from {}: migration {:03d}_{} is pending; run "
                                      "`quicktools db upgrade` first",
                                      path, v, migration(v).name));
}

void check_migration_done(Database& db) {
    SQLite::Statement q(db.sql(), sql::query("drop", "migration_done"));
    if (q.executeStep() && q.getColumn(0).getInt() != 0) return;
    throw refusal(fmt::format("refusing to drop the subscription columns of {}: the users have not been moved to "
                              "credit packs yet (no completed `quicktools migrate packs`); run it first",
                              db.path()));
}

std::int64_t check_subscriptions(Database& db, Force force) {
    SQLite::Statement q(db.sql(), sql::query("drop", "active_subscriptions"));
    std::int64_t count = 0;
    std::vector<std::int64_t> examples;
    while (q.executeStep()) {
        if (examples.size() < 5) examples.push_back(q.getColumn(0).getInt64());
        ++count;
    }
    if (count > 0 && force == Force::no)
        throw refusal(fmt::format("refusing to drop the subscription columns of {}: {} user(s) still have a Stripe "
                                  "subscription recorded as active, trialing or past_due (user ids {}{}), which "
                                  "Stripe keeps billing; cancel them first, or pass --force if you know they are "
                                  "cancelled",
                                  db.path(), count, fmt::join(examples, ", "), count > 5 ? ", ..." : ""));
    return count;
}

// Views and triggers that refer to users (directly or through such a view), and the indexes
// and triggers on users: all of them must go before users is dropped, and come back after.
std::vector<Candidate> dependents(Database& db) {
    std::vector<Candidate> all;
    SQLite::Statement q(db.sql(), sql::query("drop", "dependents"));
    std::vector<bool> on_users;
    while (q.executeStep()) {
        all.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(3).getString(), {}});
        on_users.push_back(q.getColumn(2).getString() == "users");
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
            if (all[i].type == "view") watched.insert(lower(all[i].name));
        }
    }
    std::vector<Candidate> out;
    for (std::size_t i = 0; i < all.size(); ++i)
        if (chosen[i]) out.push_back(std::move(all[i]));
    return out;
}

// Runs the rewrite on an empty copy of the schema, so the plan is exactly what will run: an
// object that SQLite no longer accepts is moved to the dropped ones with its reason.
void rehearse(Database& db, const std::vector<std::string>& before, std::vector<Candidate>& objects) {
    Database model = Database::in_memory();
    SQLite::Statement q(db.sql(), sql::query("drop", "schema_copy"));
    while (q.executeStep()) {
        try {
            model.sql().exec(q.getColumn(2).getString());
        } catch (const std::exception&) {
            // Shadow tables of virtual tables already exist, and the like: not needed here.
        }
    }
    for (const auto& statement : before) {
        try {
            model.sql().exec(statement);
        } catch (const std::exception& e) {
            throw Error(fmt::format("cannot rewrite the users table of {}: SQLite rejects `{}` ({}); nothing was "
                                    "changed",
                                    db.path(), statement.substr(0, statement.find('(')), e.what()));
        }
    }
    for (auto& object : objects) {
        if (!object.reason.empty()) continue;
        try {
            model.sql().exec(object.sql);
            if (object.type == "view")  // CREATE VIEW does not look at what the view selects
                SQLite::Statement check(model.sql(), "SELECT * FROM " + ddl::quote_identifier(object.name));
        } catch (const std::exception& e) {
            object.reason = fmt::format("no longer valid without the dropped columns ({})", e.what());
            try {  // so that objects built on this one are found invalid too
                model.sql().exec(fmt::format("DROP {} IF EXISTS {}", object.type, ddl::quote_identifier(object.name)));
            } catch (const std::exception&) {
            }
        }
    }
}

}  // namespace

DropPlan plan_drop(Database& db, const DropOptions& options) {
    DropPlan plan;
    const SchemaStatus status = schema_status(db);
    plan.state = status.detected.state;
    if (plan.state == SchemaState::final) {
        plan.nothing_to_do = true;
        return plan;
    }
    check_state(db, status);
    check_migration_done(db);
    plan.active_subscriptions = check_subscriptions(db, options.force);
    if (db.has_table(new_table))
        throw refusal(fmt::format("refusing to drop columns from {}: a table named {} is in the way; it is not the "
                                  "tool's, so look at it and remove it",
                                  db.path(), new_table));

    const std::set<std::string> dropped_columns(deprecated_columns.begin(), deprecated_columns.end());
    SQLite::Statement users_sql(db.sql(), sql::query("drop", "users_sql"));
    users_sql.executeStep();
    auto table = ddl::drop_columns(users_sql.getColumn(0).getString(), dropped_columns, new_table);
    plan.new_table_sql = table.sql;
    plan.removed_constraints = table.removed_constraints;

    std::vector<std::string> kept;
    for (const auto& column : table_columns(db, "users"))
        if (dropped_columns.count(column.name) == 0) kept.push_back(ddl::quote_identifier(column.name));

    auto objects = dependents(db);
    std::set<std::string> gone;
    for (auto& object : objects) {
        if (auto column = ddl::first_name_used(object.sql, dropped_columns); !column.empty())
            object.reason = fmt::format("uses the dropped column {}", column);
        else if (auto view = ddl::first_name_used(object.sql, gone); !view.empty())
            object.reason = fmt::format("uses the view {}, which is dropped", view);
        if (!object.reason.empty() && object.type == "view") gone.insert(lower(object.name));
    }

    std::vector<std::string>& rewrite = plan.rewrite;
    for (auto it = objects.rbegin(); it != objects.rend(); ++it)
        if (it->type != "index")
            rewrite.push_back(fmt::format("DROP {} {}", it->type == "view" ? "VIEW" : "TRIGGER",
                                          ddl::quote_identifier(it->name)));
    rewrite.push_back(table.sql);
    rewrite.push_back(fmt::format("INSERT INTO {} ({}) SELECT {} FROM users", new_table, fmt::join(kept, ", "),
                                  fmt::join(kept, ", ")));
    rewrite.push_back("DROP TABLE users");
    rewrite.push_back(fmt::format("ALTER TABLE {} RENAME TO users", new_table));
    if (db.has_table("sqlite_sequence")) {
        SQLite::Statement seq(db.sql(), "SELECT seq FROM sqlite_sequence WHERE name = 'users'");
        if (seq.executeStep())
            rewrite.push_back(fmt::format("UPDATE sqlite_sequence SET seq = {} WHERE name = 'users'",
                                          seq.getColumn(0).getInt64()));
    }
    rehearse(db, rewrite, objects);
    for (const auto& object : objects) {
        if (object.reason.empty()) {
            rewrite.push_back(object.sql);
            plan.recreated.push_back({object.type, object.name, {}});
        } else {
            plan.dropped.push_back({object.type, object.name, object.reason});
        }
    }

    const Migration& m = migration(drop_deprecated_version);
    plan.statements = {"PRAGMA foreign_keys = OFF", "PRAGMA secure_delete = FAST", "BEGIN IMMEDIATE"};
    plan.statements.insert(plan.statements.end(), rewrite.begin(), rewrite.end());
    plan.statements.push_back(fmt::format(
        "INSERT INTO quicktools_schema_history (version, name, checksum, kind, applied_at, applied_by) "
        "VALUES ({}, {}, {}, 'applied', {}, {})",
        m.version, literal(m.name), literal(m.checksum), literal(util::now_timestamp()), literal(options.actor)));
    plan.statements.insert(plan.statements.end(), {"PRAGMA foreign_key_check", "PRAGMA quick_check(users)", "COMMIT",
                                                   "PRAGMA foreign_keys = ON"});
    if (options.vacuum) plan.statements.push_back("VACUUM");
    return plan;
}

}  // namespace quicktools::db
