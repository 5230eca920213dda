// The token-level DDL edit behind `db drop-deprecated`.
#include <doctest/doctest.h>

#include "quicktools/db/database.hpp"
#include "quicktools/db/ddl_rewrite.hpp"
#include "quicktools/db/statement.hpp"

using namespace quicktools::db;

namespace {

const std::set<std::string> dropped = {"subscription_tier", "subscription_status",     "stripe_subscription_id",
                                       "monthly_credits",   "credits_used_this_month", "credits_reset_date"};

// The rewritten DDL must be accepted by SQLite and define exactly `columns`.
std::vector<std::string> columns_of(const std::string& create_sql) {
    Database db = Database::in_memory();
    db.execute(create_sql);
    Statement q(db, "SELECT name FROM pragma_table_info('t2')");
    std::vector<std::string> out;
    while (q.step()) out.push_back(q.column(0).text());
    return out;
}

}  // namespace

TEST_SUITE("ddl_rewrite") {
    TEST_CASE("tokens keep the text and know strings, quotes and comments apart") {
        const std::string sql = "a 'x''y' \"q\"\"r\" [s t] `u` -- c\n/* d */ 1.5e-3 (b)";
        std::string rebuilt;
        for (const auto& t : ddl::tokenize(sql)) rebuilt += sql.substr(t.begin, t.end - t.begin);
        CHECK(rebuilt == sql);
        const auto tokens = ddl::tokenize(sql);
        CHECK(tokens[2].kind == ddl::TokenKind::string);
        CHECK(ddl::identifier(sql, tokens[4]) == "q\"r");
        CHECK(ddl::identifier(sql, tokens[6]) == "s t");
        CHECK(ddl::identifier(sql, tokens[8]) == "u");
    }

    TEST_CASE("names inside strings and comments do not count") {
        const std::set<std::string> names = {"monthly_credits"};
        CHECK(ddl::first_name_used("SELECT 'monthly_credits' -- monthly_credits\n FROM users", names).empty());
        CHECK(ddl::first_name_used("SELECT /* x */ \"MONTHLY_CREDITS\" FROM users", names) == "monthly_credits");
        CHECK(ddl::first_name_used("SELECT [Monthly_Credits] FROM users", names) == "monthly_credits");
        CHECK(ddl::first_name_used("SELECT monthly_credits_total FROM users", names).empty());
    }

    TEST_CASE("quote_identifier quotes only when needed") {
        CHECK(ddl::quote_identifier("email") == "email");
        CHECK(ddl::quote_identifier("order") == "\"order\"");
        CHECK(ddl::quote_identifier("a b\"c") == "\"a b\"\"c\"");
        CHECK(ddl::quote_identifier("1x") == "\"1x\"");
    }

    TEST_CASE("the legacy users table loses the six columns and nothing else") {
        const std::string sql =
            "CREATE TABLE users (\n\tid INTEGER NOT NULL,\n\temail VARCHAR NOT NULL,\n\tsubscription_tier VARCHAR "
            "NOT NULL,\n\tsubscription_status VARCHAR,\n\tstripe_subscription_id VARCHAR,\n\tmonthly_credits "
            "INTEGER NOT NULL,\n\tcredits_used_this_month INTEGER NOT NULL,\n\tcredits_reset_date DATETIME,\n\t"
            "PRIMARY KEY (id)\n, credits_balance INTEGER NOT NULL DEFAULT 10)";
        const auto out = ddl::drop_columns(sql, dropped, "t2");
        CHECK(out.sql ==
              "CREATE TABLE t2 (\n\tid INTEGER NOT NULL,\n\temail VARCHAR NOT NULL,\n\tcredits_balance INTEGER NOT "
              "NULL DEFAULT 10,\n\tPRIMARY KEY (id)\n)");
        CHECK(out.removed_columns.size() == 6);
        CHECK(columns_of(out.sql) == std::vector<std::string>{"id", "email", "credits_balance"});
    }

    TEST_CASE("CHECK constraints naming a dropped column go; others stay") {
        const std::string sql =
            "CREATE TABLE \"users\" (\n"
            "  id INTEGER NOT NULL,\n"
            "  is_active BOOLEAN NOT NULL,\n"
            "  subscription_status VARCHAR(9),  -- the old status\n"
            "  [monthly_credits] INTEGER CHECK (monthly_credits >= 0),\n"
            "  note TEXT DEFAULT 'subscription_status, (monthly_credits)' CONSTRAINT ck_note CHECK (note <> "
            "monthly_credits) NOT NULL,\n"
            "  PRIMARY KEY (id),\n"
            "  CHECK (is_active IN (0, 1)),\n"
            "  CONSTRAINT ck_status CHECK (subscription_status IN ('active', 'canceled')),\n"
            "  /* the old */ CHECK (\"subscription_status\" IS NULL OR length(subscription_status) > 0)\n"
            ")";
        const auto out = ddl::drop_columns(sql, dropped, "t2");
        CHECK(out.sql ==
              "CREATE TABLE t2 (\n"
              "  id INTEGER NOT NULL,\n"
              "  is_active BOOLEAN NOT NULL,\n"
              "  note TEXT DEFAULT 'subscription_status, (monthly_credits)' NOT NULL,\n"
              "  PRIMARY KEY (id),\n"
              "  CHECK (is_active IN (0, 1))\n"
              ")");
        CHECK(out.removed_constraints.size() == 3);
        CHECK(out.removed_constraints[0] == "CONSTRAINT ck_note CHECK (note <> monthly_credits)");
        CHECK(columns_of(out.sql) == std::vector<std::string>{"id", "is_active", "note"});
    }

    TEST_CASE("a dropped first column keeps the layout, a dropped last column leaves no comma") {
        const auto first = ddl::drop_columns("CREATE TABLE users (monthly_credits INT, a INT, b INT)", dropped, "t2");
        CHECK(first.sql == "CREATE TABLE t2 (a INT, b INT)");
        const auto last =
            ddl::drop_columns("CREATE TABLE users (a INT, -- a\n b INT,\n credits_reset_date DATETIME\n) STRICT",
                              {"credits_reset_date"}, "t2");
        CHECK(last.sql == "CREATE TABLE t2 (a INT, -- a\n b INT\n) STRICT");
    }

    TEST_CASE("something that is not a CREATE TABLE is an error") {
        CHECK_THROWS_AS(ddl::drop_columns("CREATE VIEW v AS SELECT 1", dropped, "t2"), quicktools::Error);
        CHECK_THROWS_AS(ddl::drop_columns("CREATE TABLE users (monthly_credits INT)", dropped, "t2"),
                        quicktools::Error);
    }
}
