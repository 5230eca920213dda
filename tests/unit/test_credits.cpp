#include <doctest/doctest.h>

#include <functional>

#include "quicktools/credits/adjust.hpp"
#include "quicktools/credits/audit.hpp"
#include "quicktools/credits/import.hpp"
#include "quicktools/credits/packs.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/db/statement.hpp"
#include "quicktools/util/csv.hpp"

using namespace quicktools;
using credits::Action;

namespace {

db::Database fresh_db(int users) {
    auto database = db::Database::in_memory();
    db::initialise(database, "test");
    for (int i = 1; i <= users; ++i)  // as the web app signs a user up: the columns' defaults
        database.execute("INSERT INTO users (email, hashed_password, is_active, created_at) VALUES ('u" +
                         std::to_string(i) + "@x.com', 'h', 1, '2026-01-01 00:00:00.000000')");
    return database;
}

std::int64_t scalar(db::Database& database, const std::string& sql) {
    db::Statement q(database, sql);
    q.step();
    return q.column(0).int64();
}

credits::AdjustResult run(db::Database& database, Action action, std::int64_t amount, const char* key = nullptr,
                          const std::string& reason = "why", const std::string& user = "1") {
    credits::AdjustRequest r;
    r.user = user;
    r.action = action;
    r.amount = amount;
    r.reason = reason;
    if (key != nullptr) r.idempotency_key = key;
    r.actor = "tester";
    return credits::adjust(database, r);
}

ExitCode code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    return ExitCode::ok;
}

}  // namespace

TEST_SUITE("credits request") {
    TEST_CASE("amounts are parsed strictly") {
        CHECK(credits::parse_amount("1") == 1);
        CHECK(credits::parse_amount("50000") == 50000);
        for (const char* bad : {"", "0", "-5", "+5", "1e3", "0x10", "12abc", " 5", "5 ", "05", "50001",
                                "99999999999999999999", "1.0", "١٢"})
            CHECK_MESSAGE(code_of([&] { credits::parse_amount(bad); }) == ExitCode::usage, bad);
    }
    TEST_CASE("reasons are required, trimmed, one line and bounded") {
        CHECK(credits::normalise_reason("  ticket 1 \t") == "ticket 1");
        CHECK(code_of([] { credits::normalise_reason("   "); }) == ExitCode::usage);
        CHECK(code_of([] { credits::normalise_reason("a\nb"); }) == ExitCode::usage);
        CHECK(code_of([] { credits::normalise_reason(std::string(501, 'x')); }) == ExitCode::usage);
        // Text must be valid UTF-8 (a Latin-1 file, a cut multi-byte character, overlong forms, surrogates).
        CHECK(credits::normalise_reason("caf\xc3\xa9 \xf0\x9f\x92\xb3") == "caf\xc3\xa9 \xf0\x9f\x92\xb3");
        for (const char* bad : {"caf\xe9", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff"})
            CHECK(code_of([bad] { credits::normalise_reason(bad); }) == ExitCode::usage);
        CHECK(code_of([] { credits::check_idempotency_key("k\xe9"); }) == ExitCode::usage);
        CHECK(code_of([] { credits::check_idempotency_key("has space"); }) == ExitCode::usage);
        CHECK(code_of([] { credits::check_idempotency_key(std::string(256, 'k')); }) == ExitCode::usage);
        CHECK(code_of([] { credits::normalise_actor(" "); }) == ExitCode::usage);
    }
    TEST_CASE("deltas and refusals") {
        CHECK(credits::deltas(Action::refund, 5).balance == 5);
        CHECK(credits::deltas(Action::refund, 5).used == -5);
        CHECK(credits::deltas(Action::debit, 5).balance == -5);
        CHECK_FALSE(credits::why_not(Action::debit, 10, 10, 0));
        CHECK(credits::why_not(Action::debit, 12, 10, 0)->find("short by 2") != std::string::npos);
        CHECK(credits::why_not(Action::refund, 9, 100, 8)->find("over by 1") != std::string::npos);
        CHECK_FALSE(credits::why_not(Action::grant, 50000, 0, 0));
    }
    TEST_CASE("the fingerprint covers action, user, amount and reason") {
        const auto f = credits::fingerprint(Action::grant, 1, 5, "r");
        CHECK(f.size() == 64);
        CHECK(f == credits::fingerprint(Action::grant, 1, 5, "r"));
        CHECK(f != credits::fingerprint(Action::debit, 1, 5, "r"));
        CHECK(f != credits::fingerprint(Action::grant, 2, 5, "r"));
        CHECK(f != credits::fingerprint(Action::grant, 1, 6, "r"));
        CHECK(f != credits::fingerprint(Action::grant, 1, 5, "r2"));
    }
}

TEST_SUITE("csv") {
    TEST_CASE("RFC 4180 quoting, CRLF, BOM and blank lines") {
        const auto r = util::parse_csv(
            "\xEF\xBB\xBF"
            "a,b\r\n\"x, \"\"y\"\"\",\"two\nlines\"\r\n\n3,\n");
        REQUIRE(r.size() == 3);
        CHECK(r[0].fields == std::vector<std::string>{"a", "b"});
        CHECK(r[1].fields == std::vector<std::string>{"x, \"y\"", "two\nlines"});
        CHECK(r[1].line == 2);
        CHECK(r[2].line == 5);
        CHECK(r[2].fields == std::vector<std::string>{"3", ""});
        CHECK(r[2].error.empty());
    }
    TEST_CASE("malformed quoting is reported on its line") {
        const auto r = util::parse_csv("a\n\"x\"y\nb\"c\n\"open\n");
        REQUIRE(r.size() == 4);
        CHECK_FALSE(r[1].error.empty());
        CHECK_FALSE(r[2].error.empty());
        CHECK(r[3].line == 4);
        CHECK(r[3].error.find("never closed") != std::string::npos);
    }
}

TEST_SUITE("credits adjust") {
    TEST_CASE("grant, refund and debit move the counters and write the ledger in step") {
        auto database = fresh_db(1);
        database.execute("UPDATE users SET credits_balance = 2, credits_lifetime_used = 8");  // web app usage
        CHECK(run(database, Action::grant, 100).entry.balance_after == 102);
        const auto refund = run(database, Action::refund, 8);
        CHECK(refund.entry.balance_after == 110);
        CHECK(refund.entry.used_delta == -8);
        CHECK(scalar(database, "SELECT credits_lifetime_used FROM users") == 0);
        CHECK(run(database, Action::debit, 110).entry.balance_after == 0);
        CHECK(scalar(database, "SELECT count(*) FROM quicktools_ledger") == 3);
        CHECK(credits::audit(database, {}).clean());
    }
    TEST_CASE("refusals change nothing") {
        auto database = fresh_db(1);
        CHECK(code_of([&] { run(database, Action::debit, 11); }) == ExitCode::refused);
        CHECK(code_of([&] { run(database, Action::refund, 1); }) == ExitCode::refused);
        CHECK(code_of([&] { run(database, Action::grant, 1, nullptr, "r", "nobody@x.com"); }) == ExitCode::failed);
        CHECK(scalar(database, "SELECT count(*) FROM quicktools_ledger") == 0);
        CHECK(scalar(database, "SELECT credits_balance FROM users") == 10);
    }
    TEST_CASE("the same key and request apply once; a different request is refused") {
        auto database = fresh_db(2);
        const auto first = run(database, Action::grant, 5, "k");
        const auto again = run(database, Action::grant, 5, "k");
        CHECK(again.replayed);
        CHECK(again.entry.id == first.entry.id);
        CHECK(again.balance_before == 10);
        CHECK(scalar(database, "SELECT credits_balance FROM users WHERE id = 1") == 15);
        CHECK(code_of([&] { run(database, Action::grant, 6, "k"); }) == ExitCode::refused);
        CHECK(code_of([&] { run(database, Action::debit, 5, "k"); }) == ExitCode::refused);
        CHECK(code_of([&] { run(database, Action::grant, 5, "k", "why", "2"); }) == ExitCode::refused);
        CHECK(scalar(database, "SELECT count(*) FROM quicktools_ledger") == 1);
    }
}

TEST_SUITE("credits import") {
    TEST_CASE("every bad row is reported and nothing applies") {
        auto database = fresh_db(2);
        const auto result = credits::import_csv(database,
                                                "user,action,amount,reason\n1,grant,5,ok\n3,grant,5,x\n"
                                                "2,debit,11,x\n1,grant,1e3,x\n",
                                                {"f.csv", "t", DryRun::no, {}});
        REQUIRE(result.errors.size() == 3);
        CHECK(result.errors[0].line == 3);
        CHECK(result.errors[1].line == 4);
        CHECK(result.errors[1].message.find("short by 1") != std::string::npos);
        CHECK(result.errors[2].line == 5);
        CHECK_FALSE(result.committed);
        CHECK(scalar(database, "SELECT count(*) FROM quicktools_ledger") == 0);
    }
    TEST_CASE("rows see the rows before them; a repeated key applies once") {
        auto database = fresh_db(1);
        const auto result = credits::import_csv(
            database,
            "amount,user,action,reason,idempotency_key\n40,u1@x.com,grant,a,k1\n50,1,debit,b,\n40,1,grant,a,k1\n",
            {"f.csv", "t", DryRun::no, {}});
        REQUIRE(result.errors.empty());
        CHECK(result.committed);
        CHECK(result.totals.applied == 2);
        CHECK(result.totals.skipped == 1);
        CHECK(result.rows[2].status == credits::RowStatus::duplicate);
        CHECK(scalar(database, "SELECT credits_balance FROM users") == 0);
        db::Statement source(database, "SELECT source, actor FROM quicktools_ledger WHERE kind = 'debit'");
        REQUIRE(source.step());
        CHECK(source.column(0).text() == "import:f.csv:3");
        CHECK(source.column(1).text() == "t");
        CHECK(credits::audit(database, {}).clean());
    }
    TEST_CASE("a dry run changes nothing") {
        auto database = fresh_db(1);
        const auto result =
            credits::import_csv(database, "user,action,amount,reason\n1,grant,5,a\n", {"f", "t", DryRun::yes, {}});
        CHECK(result.totals.granted == 5);
        CHECK(result.rows[0].balance_after == 15);
        CHECK_FALSE(result.committed);
        CHECK(scalar(database, "SELECT credits_balance FROM users") == 10);
    }
    TEST_CASE("a file that is no import is refused whole") {
        auto database = fresh_db(1);
        CHECK(code_of([&] { credits::import_csv(database, "", {"f", "t", DryRun::no, {}}); }) == ExitCode::usage);
        CHECK(code_of([&] {
                  credits::import_csv(database, "user,action,amount\n", {"f", "t", DryRun::no, {}});
              }) == ExitCode::usage);
        CHECK(code_of([&] {
                  credits::import_csv(database, "user,user,action,amount,reason\n", {"f", "t", DryRun::no, {}});
              }) == ExitCode::usage);
    }
}

TEST_SUITE("credits audit") {
    TEST_CASE("the product document's journey keeps the invariant; tiers follow purchases") {
        auto database = fresh_db(1);
        const auto use = [&](int n) {
            database.execute("UPDATE users SET credits_balance = credits_balance - " + std::to_string(n) +
                             ", credits_lifetime_used = credits_lifetime_used + " + std::to_string(n));
        };
        const auto buy = [&](const char* pack) {
            const auto* p = credits::find_pack(pack);
            database.execute("UPDATE users SET credits_balance = credits_balance + " + std::to_string(p->credits) +
                             ", credits_purchased_total = credits_purchased_total + " + std::to_string(p->credits) +
                             ", api_access_unlocked = api_access_unlocked OR " + (p->unlocks_api ? "1" : "0"));
        };
        const auto balance = [&] { return scalar(database, "SELECT credits_balance FROM users"); };
        const auto tier = [&] {
            return credits::support_tier(scalar(database, "SELECT credits_purchased_total FROM users"));
        };
        CHECK(balance() == 10);
        use(8);
        CHECK(balance() == 2);
        buy("starter");
        CHECK(balance() == 102);
        CHECK(tier() == "Community");
        use(50);
        CHECK(balance() == 52);
        buy("pro");
        CHECK(balance() == 1252);
        CHECK(tier() == "Priority (24h response)");
        CHECK(scalar(database, "SELECT api_access_unlocked FROM users") == 1);
        use(500);
        CHECK(balance() == 752);
        buy("standard");
        CHECK(balance() == 1252);
        CHECK(tier() == "Priority (24h response)");
        CHECK(credits::audit(database, {}).clean());
    }
    TEST_CASE("edits behind the tool's back and negative balances are violations; the base comes from the migration") {
        auto database = fresh_db(3);
        database.execute("UPDATE users SET credits_balance = credits_balance + 5 WHERE id = 1");
        database.execute("UPDATE users SET credits_balance = -1, credits_lifetime_used = 11 WHERE id = 2");
        database.execute("UPDATE users SET credits_balance = 200 WHERE id = 3");
        database.execute(
            "INSERT INTO quicktools_migrated_users (user_id, new_balance, new_purchased_total, "
            "new_api_access, invariant_base, policy, migrated_at) VALUES (3, 200, 0, 0, 200, 'p', 'now')");
        const auto r = credits::audit(database, {1});
        CHECK(r.users_checked == 3);
        CHECK(r.violations == 2);
        CHECK(r.negative_balances == 1);
        CHECK(r.invariant_broken == 1);
        REQUIRE(r.listed.size() == 1);
        CHECK(r.listed[0].user_id == 1);
        CHECK(r.listed[0].difference() == 5);
        CHECK(r.listed[0].expected_balance() == 10);
    }
}
