#include <doctest/doctest.h>

#include "quicktools/credits/packs.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/db/statement.hpp"
#include "quicktools/db/verify.hpp"
#include "quicktools/report/lookups.hpp"
#include "quicktools/util/crypto.hpp"
#include "quicktools/util/system.hpp"
#include "quicktools/util/text.hpp"

using namespace quicktools;

TEST_SUITE("sql files") {
    TEST_CASE("named queries are split at their markers") {
        const auto& q = sql::query("history", "insert");
        CHECK(q.find("INSERT INTO quicktools_schema_history") != std::string::npos);
        CHECK(q.find("-- name:") == std::string::npos);
        CHECK_THROWS_AS(sql::query("history", "nope"), std::logic_error);
        CHECK_THROWS_AS(sql::query("nope", "insert"), std::logic_error);
    }
    TEST_CASE("migrations are numbered from the file names") {
        const auto& all = db::migrations();
        REQUIRE(all.size() >= 4);
        CHECK(all[0].version == 1);
        CHECK(all[1].name == "credit_pack_columns");
        CHECK(all[1].checksum.size() == 64);
        CHECK(db::migration(db::drop_deprecated_version).needs_own_command);
    }
}

TEST_SUITE("packs") {
    TEST_CASE("the pack table of the design document") {
        REQUIRE(credits::find_pack("pro") != nullptr);
        CHECK(credits::find_pack("pro")->credits == 1200);
        CHECK(credits::find_pack("pro")->unlocks_api);
        CHECK_FALSE(credits::find_pack("standard")->unlocks_api);
        CHECK(credits::find_pack("business")->price_cents == 10000);
        CHECK(credits::find_pack("gold") == nullptr);
    }
    TEST_CASE("support tiers follow the purchased total") {
        CHECK(credits::support_tier(0) == "Community");
        CHECK(credits::support_tier(499) == "Community");
        CHECK(credits::support_tier(500) == "Email (48h response)");
        CHECK(credits::support_tier(1200) == "Priority (24h response)");
        CHECK(credits::support_tier(1199) == "Email (48h response)");
        CHECK(credits::support_tier(4999) == "Priority (24h response)");
        CHECK(credits::support_tier(5000) == "Dedicated (12h response)");
        CHECK(credits::support_tier(-3) == "Community");
        // The report's SQL takes the tiers' bounds as parameters: the same table, read in one scan.
        auto database = db::Database::in_memory();
        db::initialise(database, "t");
        database.execute(
            "INSERT INTO users (id, email, hashed_password, is_active, created_at, credits_balance, "
            "credits_purchased_total) VALUES (1, 'a@x', 'x', 1, '2026-01-01', 7, 499), (2, 'b@x', 'x', 1, "
            "'2026-01-01', "
            "11, 500), (3, 'c@x', 'x', 1, '2026-01-01', 13, 1200), (4, 'd@x', 'x', 1, '2026-01-01', 17, 5000)");
        const auto r = report::build_report(database);
        REQUIRE(r.support_tiers.size() == 4);
        for (std::size_t i = 0; i < 4; ++i) {
            CHECK(r.support_tiers[i].first == credits::support_tiers[i].name);
            CHECK(r.support_tiers[i].second == 1);
        }
        CHECK(r.support_tier_credits == std::vector<std::int64_t>{7, 11, 13, 17});
    }
}

TEST_SUITE("util") {
    TEST_CASE("sha256 and hmac match known vectors") {
        CHECK(util::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        // RFC 4231 test case 2
        CHECK(util::hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        CHECK(util::constant_time_equal("abc", "abc"));
        CHECK_FALSE(util::constant_time_equal("abc", "abd"));
        CHECK_FALSE(util::constant_time_equal("abc", "abcd"));
    }
    TEST_CASE("timestamps are written as SQLAlchemy writes DATETIME") {
        CHECK(util::timestamp_from_unix(0) == "1970-01-01 00:00:00.000000");
        CHECK(util::timestamp_from_unix(1767225600) == "2026-01-01 00:00:00.000000");
    }
    TEST_CASE("trim and UTF-8 checks") {
        CHECK(util::trim("  a b\t") == "a b");
        CHECK(util::trim(" \t ").empty());
        CHECK(util::trim("\r\nx\n", " \r\n") == "x");
        CHECK(util::valid_utf8("caf\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x98\x80"));
        CHECK(util::valid_utf8(""));
        CHECK_FALSE(util::valid_utf8("caf\xe9"));           // Latin-1
        CHECK_FALSE(util::valid_utf8("\xc0\xaf"));          // overlong '/'
        CHECK_FALSE(util::valid_utf8("\xed\xa0\x80"));      // a surrogate
        CHECK_FALSE(util::valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
        CHECK_FALSE(util::valid_utf8("\xe2\x82"));          // cut short
    }
}

TEST_SUITE("schema") {
    TEST_CASE("a new database is final, verified clean, and upgrades to nothing") {
        auto database = db::Database::in_memory();
        db::initialise(database, "test");
        CHECK(db::detect_state(database).state == db::SchemaState::final);
        CHECK(db::verify_schema(database).clean());
        const auto result = db::upgrade(database, DryRun::no, "test");
        CHECK_FALSE(result.changed());
    }
    TEST_CASE("state detection on each stage") {
        auto database = db::Database::in_memory();
        database.execute(std::string(db::migration(1).sql));
        CHECK(db::detect_state(database).state == db::SchemaState::legacy);
        SUBCASE("credit packs added") {
            database.execute(std::string(db::migration(2).sql));
            CHECK(db::detect_state(database).state == db::SchemaState::credit_packs);
            SUBCASE("and dropped") {
                database.execute(std::string(db::migration(4).sql));
                CHECK(db::detect_state(database).state == db::SchemaState::final);
            }
        }
        SUBCASE("half-added columns are unknown") {
            database.execute("ALTER TABLE users ADD COLUMN credits_balance INTEGER");
            const auto d = db::detect_state(database);
            CHECK(d.state == db::SchemaState::unknown);
            CHECK(d.explanation.find("1 of the 6 credit-pack columns") != std::string::npos);
        }
    }
    TEST_CASE("upgrade of a legacy database records the baseline and applies 002, 003 and 005") {
        auto database = db::Database::in_memory();
        database.execute(std::string(db::migration(1).sql));
        const auto plan = db::upgrade(database, DryRun::yes, "t");
        CHECK(plan.applied == std::vector<int>{2, 3, 5});
        CHECK_FALSE(database.has_table("quicktools_schema_history"));
        const auto result = db::upgrade(database, DryRun::no, "t");
        CHECK(result.recorded_baseline == std::vector<int>{1});
        CHECK(result.state_after == db::SchemaState::credit_packs);
        CHECK(db::schema_status(database).pending == std::vector<int>{4});
    }
}

#include <unistd.h>

#include <cstdio>

#include "quicktools/db/backup.hpp"

TEST_SUITE("backup") {
    TEST_CASE("inside a write transaction the copy is the state before the transaction's changes") {
        char dir_template[] = "/tmp/qt-backup-XXXXXX";
        REQUIRE(::mkdtemp(dir_template) != nullptr);
        const std::string dir = dir_template;
        {
            auto created = db::Database::create_new(dir + "/a.db", 1000);
            db::initialise(created, "t");
            created.execute("INSERT INTO quicktools_state VALUES ('x', 'before', 'now')");
        }
        auto database = db::Database::open_existing({dir + "/a.db", 1000, db::Access::read_write});
        db::WriteTransaction tx(database);
        const auto result = db::backup_to(database, dir + "/copy.db");
        database.execute("UPDATE quicktools_state SET value = 'after' WHERE name = 'x'");
        tx.commit();
        auto copy = db::Database::open_existing({result.path, 1000, db::Access::read_only});
        db::Statement q(copy, "SELECT value FROM quicktools_state WHERE name = 'x'");
        REQUIRE(q.step());
        CHECK(q.column(0).text() == "before");
        std::remove((dir + "/a.db").c_str());
        std::remove((dir + "/copy.db").c_str());
        ::rmdir(dir.c_str());
    }
    TEST_CASE("the default path: beside a SQLite file; for a URI, the database's name, never the password") {
        const std::string file = db::default_backup_path("/srv/app/app.db");
        CHECK(file.rfind("/srv/app/app.db.backup-", 0) == 0);
        const std::string uri =
            db::default_backup_path("postgresql://web:s3cr%2Ft@db.example.com:5432/app_prod?sslmode=require");
        CHECK(uri.rfind("quicktools-app_prod-", 0) == 0);
        CHECK(uri.size() == std::string("quicktools-app_prod-20261129-134500.dump").size());
        CHECK(uri.find('/') == std::string::npos);
        CHECK(uri.find("s3cr") == std::string::npos);
        CHECK(uri.find("web") == std::string::npos);
        const std::string odd = db::default_backup_path("postgres://u:pw@host/../etc%2Fx");
        CHECK(odd.find('/') == std::string::npos);
        CHECK(odd.find("pw") == std::string::npos);
        CHECK(db::default_backup_path("postgresql://u:pw@host").rfind("quicktools-postgres-", 0) == 0);
    }
}
