#include <doctest/doctest.h>

#include <string>

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
