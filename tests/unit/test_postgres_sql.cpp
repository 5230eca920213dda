#include <doctest/doctest.h>

#include <string>

#include "db/postgres/pg_connection.hpp"
#include "db/postgres/pg_params.hpp"

using quicktools::db::postgres::pg_translate_parameters;

TEST_SUITE("postgres parameters") {
    TEST_CASE("? takes the next number") {
        const auto out = pg_translate_parameters("SELECT a FROM t WHERE b = ? AND c = ?");
        CHECK(out.text == "SELECT a FROM t WHERE b = $1 AND c = $2");
        CHECK(out.parameter_count == 2);
        CHECK(out.names.empty());
    }
    TEST_CASE("?N keeps its number, and a later ? follows the highest") {
        const auto out = pg_translate_parameters("UPDATE t SET a = ?2, b = ?1 WHERE id = ?2 OR x = ?");
        CHECK(out.text == "UPDATE t SET a = $2, b = $1 WHERE id = $2 OR x = $3");
        CHECK(out.parameter_count == 3);
    }
    TEST_CASE(":name is numbered at its first use and reused after") {
        const auto out = pg_translate_parameters("SELECT :a, :b_2, :a, ?, :c");
        CHECK(out.text == "SELECT $1, $2, $1, $3, $4");
        CHECK(out.parameter_count == 4);
        REQUIRE(out.names.size() == 3);
        CHECK(out.names[0].first == ":a");
        CHECK(out.names[0].second == 1);
        CHECK(out.names[1].first == ":b_2");
        CHECK(out.names[1].second == 2);
        CHECK(out.names[2].first == ":c");
        CHECK(out.names[2].second == 4);
    }
    TEST_CASE("string literals, quoted identifiers and comments are left alone") {
        const auto out = pg_translate_parameters(
            "SELECT '?', 'it''s :x ?', \"col?\", \"a\"\"?\" -- why ? :y\n, ? /* ? :z /* nested ? */ ? */ , :w");
        CHECK(out.text ==
              "SELECT '?', 'it''s :x ?', \"col?\", \"a\"\"?\" -- why ? :y\n, $1 /* ? :z /* nested ? */ ? */ , $2");
        CHECK(out.parameter_count == 2);
        REQUIRE(out.names.size() == 1);
        CHECK(out.names[0].first == ":w");
    }
    TEST_CASE("E'' strings take backslash escapes") {
        const auto out = pg_translate_parameters("SELECT E'a\\'?', ?, e'\\\\', ?");
        CHECK(out.text == "SELECT E'a\\'?', $1, e'\\\\', $2");
    }
    TEST_CASE("a plain string ending in a backslash is not an escape") {
        const auto out = pg_translate_parameters("SELECT 'a\\', ?");
        CHECK(out.text == "SELECT 'a\\', $1");
    }
    TEST_CASE(":: casts are not parameters") {
        const auto out = pg_translate_parameters("SELECT ?::bigint, x::text, :n::int, now()::date");
        CHECK(out.text == "SELECT $1::bigint, x::text, $2::int, now()::date");
        REQUIRE(out.names.size() == 1);
        CHECK(out.names[0].first == ":n");
    }
    TEST_CASE("dollar-quoted bodies and $n written for PostgreSQL") {
        const auto out = pg_translate_parameters(
            "CREATE FUNCTION f() RETURNS int AS $body$ SELECT ? + :x $body$; SELECT $$?$$, $2, ?");
        CHECK(out.text == "CREATE FUNCTION f() RETURNS int AS $body$ SELECT ? + :x $body$; SELECT $$?$$, $2, $3");
        CHECK(out.parameter_count == 3);
    }
    TEST_CASE("array slices and identifiers with $ are left alone") {
        const auto out = pg_translate_parameters("SELECT a[1:2], b$c, ?");
        CHECK(out.text == "SELECT a[1:2], b$c, $1");
    }
    TEST_CASE("an unterminated literal is copied to the end") {
        const auto out = pg_translate_parameters("SELECT ?, 'abc ?");
        CHECK(out.text == "SELECT $1, 'abc ?");
        CHECK(out.parameter_count == 1);
    }
    TEST_CASE("no parameters") {
        const auto out = pg_translate_parameters("SELECT 1");
        CHECK(out.text == "SELECT 1");
        CHECK(out.parameter_count == 0);
    }
}

TEST_SUITE("postgres uri") {
    using quicktools::db::postgres::pg_redact_uri;
    using quicktools::db::postgres::pg_scrub;
    TEST_CASE("the password is dropped from the userinfo and the parameters") {
        CHECK(pg_redact_uri("postgresql://app:s3cret@db.example:5432/prod?sslmode=require") ==
              "postgresql://app@db.example:5432/prod?sslmode=require");
        CHECK(pg_redact_uri("postgres://app@db/prod") == "postgres://app@db/prod");
        CHECK(pg_redact_uri("postgresql://db/prod?password=x&sslmode=require") ==
              "postgresql://db/prod?sslmode=require");
        CHECK(pg_redact_uri("postgresql://db/prod?sslmode=require&password=x") ==
              "postgresql://db/prod?sslmode=require");
        CHECK(pg_redact_uri("postgresql://db/prod?password=x") == "postgresql://db/prod");
        CHECK(pg_redact_uri("postgresql://") == "postgresql://");
        CHECK(pg_redact_uri("postgresql:///prod") == "postgresql:///prod");
        // A colon after the host is the port, not a password.
        CHECK(pg_redact_uri("postgresql://db:5432/prod") == "postgresql://db:5432/prod");
        CHECK(pg_redact_uri("postgresql://u:p%40ss@db/x") == "postgresql://u@db/x");
    }
    TEST_CASE("every form of the password in a message is replaced") {
        const std::string uri = "postgresql://app:p%25ss@[::1:5432/prod";
        CHECK(pg_scrub("invalid percent-encoded token: \"p%25ss\"", uri) == "invalid percent-encoded token: \"***\"");
        CHECK(pg_scrub("bad: p%ss here", uri) == "bad: *** here");
        CHECK(pg_scrub("in URI: \"" + uri + "\"", uri) == "in URI: \"postgresql://app@[::1:5432/prod\"");
        CHECK(pg_scrub("x", "postgresql://db/prod?password=zz9&user=a") == "x");
        CHECK(pg_scrub("token zz9 shown", "postgresql://db/prod?password=zz9&user=a") == "token *** shown");
    }
}
