// Hostile input and honest messages (issue 16): the 64-bit range, ambiguous emails, escaped
// output, characters not bytes, streamed CSV with limits, event dates and duplicate keys.
#include <doctest/doctest.h>
#include <unistd.h>

#include <functional>
#include <limits>
#include <string>

#include "db_value.hpp"
#include "quicktools/credits/adjust.hpp"
#include "quicktools/credits/import.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/migrate/packs_migration.hpp"
#include "quicktools/migrate/policy.hpp"
#include "quicktools/stripe/event.hpp"
#include "quicktools/stripe/event_reader.hpp"
#include "quicktools/stripe/replay.hpp"
#include "quicktools/users/users.hpp"
#include "quicktools/util/csv.hpp"
#include "quicktools/util/system.hpp"
#include "quicktools/util/text.hpp"

using namespace quicktools;
using credits::Action;

namespace {

constexpr auto int64_max = std::numeric_limits<std::int64_t>::max();
constexpr auto int64_min = std::numeric_limits<std::int64_t>::min();

db::Database shop(int users) {
    auto database = db::Database::in_memory();
    db::initialise(database, "test");
    for (int i = 1; i <= users; ++i)
        database.execute("INSERT INTO users (email, hashed_password, is_active, created_at) VALUES ('u" +
                         std::to_string(i) + "@x.com', 'h', 1, '2026-01-01 00:00:00.000000')");
    return database;
}

std::string text_of(db::Database& database, const std::string& sql) { return test::value_text(database, sql); }

struct Failure {
    ExitCode code = ExitCode::ok;
    std::string message;
};

Failure failure_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return {e.code(), e.what()};
    }
    return {};
}

credits::AdjustResult adjust(db::Database& database, Action action, std::int64_t amount,
                             const std::string& user = "1") {
    credits::AdjustRequest r;
    r.user = user;
    r.action = action;
    r.amount = amount;
    r.reason = "why";
    r.actor = "tester";
    return credits::adjust(database, r);
}

// A user row and the whole ledger, to prove a refusal changed nothing.
std::string state(db::Database& database) {
    return text_of(
        database,
        "SELECT group_concat(id || ':' || quote(credits_balance) || ':' || quote(credits_purchased_total) || "
        "':' || quote(credits_lifetime_used), ' ') || ' / ' || "
        "(SELECT count(*) FROM quicktools_ledger) FROM users");
}

std::string event(const std::string& id, long long created, const std::string& user = "1",
                  const std::string& extra_meta = "") {
    return R"({"id":")" + id + R"(","type":"checkout.session.completed","created":)" + std::to_string(created) +
           R"(,"livemode":false,"data":{"object":{"object":"checkout.session","id":"cs_)" + id +
           R"(","mode":"payment","payment_status":"paid","amount_total":500,"currency":"usd","payment_intent":"pi_)" +
           id + R"(","metadata":{"user_id":")" + user + R"(","pack":"starter")" + extra_meta + "}}}}";
}

stripe::ReplayResult replay(db::Database& database, std::vector<std::string> events) {
    stripe::MemoryEventSource source("memory", std::move(events));
    db::WriteTransaction tx(database);
    auto result = stripe::apply_events(database, source, {});
    tx.commit();
    return result;
}

}  // namespace

TEST_SUITE("hostile: the 64-bit range") {
    TEST_CASE("a grant or refund past INT64_MAX is refused with nothing changed") {
        auto database = shop(2);
        database.execute(
            "UPDATE users SET credits_balance = 9223372036854775802, credits_lifetime_used = 100 "
            "WHERE id = 1");
        const auto before = state(database);
        for (const auto action : {Action::grant, Action::refund}) {
            const auto f = failure_of([&] { adjust(database, action, 50); });
            CHECK(f.code == ExitCode::refused);
            CHECK(f.message.find("past 9223372036854775807") != std::string::npos);
        }
        CHECK(state(database) == before);
        CHECK(text_of(database, "SELECT typeof(credits_balance) FROM users WHERE id = 1") == "integer");
        // Up to the limit exactly is fine.
        CHECK(adjust(database, Action::grant, 5).entry.balance_after == int64_max);
    }

    TEST_CASE("a debit on a balance of INT64_MIN says the balance is below zero, not a negative shortfall") {
        const auto why = credits::why_not(Action::debit, 5, int64_min, 0);
        REQUIRE(why);
        CHECK(why->find("already below zero (-9223372036854775808)") != std::string::npos);
        CHECK(why->find("short by -") == std::string::npos);
        const auto refund = credits::why_not(Action::refund, 5, 0, int64_min);
        REQUIRE(refund);
        CHECK(refund->find("over by -") == std::string::npos);
        CHECK_FALSE(credits::why_not(Action::debit, 5, 5, 0));
    }

    TEST_CASE("a stored balance that is not a whole number is refused, naming the user and the column") {
        // 9.3e18 is past INT64_MAX, so the INTEGER column keeps it as a REAL (what an overflow leaves).
        for (const std::string stored : {"5.5", "'abc'", "9.3e18"}) {
            CAPTURE(stored);
            auto database = shop(1);
            database.execute("UPDATE users SET credits_balance = " + stored + " WHERE id = 1");
            const auto before = state(database);
            const auto f = failure_of([&] { adjust(database, Action::grant, 5); });
            CHECK(f.code == ExitCode::refused);
            CHECK(f.message.find("user 1 (u1@x.com): credits_balance holds") != std::string::npos);
            CHECK(f.message.find("not a whole number") != std::string::npos);
            CHECK(state(database) == before);
        }
    }

    TEST_CASE("an import row past INT64_MAX, or on a non-integer balance, is a bad row and nothing changes") {
        auto database = shop(2);
        database.execute("UPDATE users SET credits_balance = 9223372036854775800 WHERE id = 1");
        database.execute("UPDATE users SET credits_balance = 5.5 WHERE id = 2");
        const auto before = state(database);
        credits::ImportOptions options;
        options.source_name = "a.csv";
        options.actor = "tester";
        const auto r = credits::import_csv(
            database, "user,action,amount,reason\n1,grant,5,ok\n1,grant,5,over\n2,grant,1,x\n", options);
        CHECK_FALSE(r.committed);
        REQUIRE(r.errors.size() == 2);
        CHECK(r.errors[0].line == 3);
        CHECK(r.errors[0].message.find("past 9223372036854775807") != std::string::npos);
        CHECK(r.errors[1].message.find("user 2 (u2@x.com): credits_balance holds 5.5 (real)") != std::string::npos);
        CHECK(state(database) == before);
    }

    TEST_CASE("a purchase past INT64_MAX in a replay is refused, nothing of the input applied") {
        auto database = shop(1);
        database.execute("UPDATE users SET credits_purchased_total = 9223372036854775800 WHERE id = 1");
        const auto before = state(database);
        const auto f = failure_of([&] { replay(database, {event("evt_1", 1767225600)}); });
        CHECK(f.code == ExitCode::refused);
        CHECK(f.message.find("event evt_1: user 1: crediting 100") != std::string::npos);
        CHECK(state(database) == before);
        CHECK(text_of(database, "SELECT count(*) FROM quicktools_stripe_events") == "0");
        database.execute("UPDATE users SET credits_purchased_total = 0, credits_balance = 'abc' WHERE id = 1");
        const auto g = failure_of([&] { replay(database, {event("evt_2", 1767225600)}); });
        CHECK(g.code == ExitCode::refused);
        CHECK(g.message.find("credits_balance holds 'abc' (text)") != std::string::npos);
    }

    TEST_CASE("the migration refuses a value that is not a whole number, or a balance past the range") {
        // A pair, not a structured binding: clang 14 cannot capture one in CAPTURE's lambda.
        for (const auto& change :
             {std::pair<std::string, std::string>{"monthly_credits = 5.5", "user 1: monthly_credits holds 5.5 (real)"},
              {"credits_used_this_month = -9223372036854775807", "user 1: the policy's credits"}}) {
            const std::string& set = change.first;
            const std::string& expected = change.second;
            CAPTURE(set);
            auto database = db::Database::in_memory();
            database.execute(std::string(db::migration(db::legacy_schema_version).sql));
            database.execute(
                "INSERT INTO users (id, email, hashed_password, is_active, created_at, subscription_tier, "
                "subscription_status, monthly_credits, credits_used_this_month) VALUES "
                "(1, 'a@x', 'h', 1, 'now', 'pro', 'active', 1000, 0), (2, 'b@x', 'h', 1, 'now', 'free', NULL, 10, 4)");
            database.execute("UPDATE users SET " + set + " WHERE id = 1");
            for (const auto dry_run : {DryRun::yes, DryRun::no}) {
                migrate::MigrateOptions options;
                options.dry_run = dry_run;
                options.actor = "test";
                const auto f = failure_of([&] { migrate::migrate_packs(database, options); });
                CHECK(f.code == ExitCode::refused);
                CHECK(f.message.find(expected) != std::string::npos);
            }
            CHECK_FALSE(database.has_table("quicktools_migrated_users"));
        }
    }
}

TEST_SUITE("hostile: emails that differ only in case") {
    TEST_CASE("an exact match wins; several case-insensitive matches are refused naming the ids") {
        auto database = shop(0);
        database.execute(
            "INSERT INTO users (id, email, hashed_password, is_active, created_at) VALUES "
            "(10, 'Alice@Example.com', 'h', 1, 'now'), (11, 'alice@example.com', 'h', 1, 'now'), "
            "(12, 'bob@example.com', 'h', 1, 'now')");
        CHECK(users::resolve_user(database, "Alice@Example.com") == 10);
        CHECK(users::resolve_user(database, "alice@example.com") == 11);
        CHECK(users::resolve_user(database, "BOB@example.com") == 12);  // one match ignoring case: fine
        const auto f = failure_of([&] { users::resolve_user(database, "ALICE@EXAMPLE.COM"); });
        CHECK(f.code == ExitCode::usage);
        CHECK(f.message.find("(ids 10, 11)") != std::string::npos);
        const auto g = failure_of([&] { adjust(database, Action::grant, 50, "ALICE@EXAMPLE.COM"); });
        CHECK(g.code == ExitCode::usage);
        CHECK(text_of(database, "SELECT count(*) FROM quicktools_ledger") == "0");
    }

    TEST_CASE("an import row and a replay's email fallback are refused the same way") {
        auto database = shop(0);
        database.execute(
            "INSERT INTO users (id, email, hashed_password, is_active, created_at) VALUES "
            "(10, 'Alice@Example.com', 'h', 1, 'now'), (11, 'alice@example.com', 'h', 1, 'now')");
        credits::ImportOptions options;
        options.source_name = "a.csv";
        options.actor = "tester";
        const auto r =
            credits::import_csv(database, "user,action,amount,reason\nALICE@EXAMPLE.COM,grant,5,x\n", options);
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].message.find("(ids 10, 11)") != std::string::npos);

        std::string by_email = event("evt_1", 1767225600, "");
        const auto at = by_email.find(R"("metadata")");
        by_email.insert(at, R"("customer_details":{"email":"ALICE@EXAMPLE.COM"},)");
        const auto result = replay(database, {by_email});
        CHECK(result.count(stripe::Outcome::needs_attention) == 1);
        REQUIRE(result.attention.size() == 1);
        CHECK(result.attention[0].reason.find("(ids 10, 11)") != std::string::npos);
        CHECK(result.attention[0].reason.find("(customer email)") != std::string::npos);
    }
}

TEST_SUITE("hostile: text for a terminal") {
    TEST_CASE("display() escapes controls, C1, DEL, bidi overrides and broken UTF-8, and keeps the rest") {
        CHECK(util::display("a\x1b]0;owned\x07"
                            "b") == "a\\x1b]0;owned\\x07b");
        CHECK(util::display("\x1b[2J") == "\\x1b[2J");
        CHECK(util::display("tab\there\nnew") == "tab\\x09here\\x0anew");
        CHECK(util::display("del\x7f") == "del\\x7f");
        CHECK(util::display("c1 \xc2\x9b"
                            "31m") == "c1 \\u009b31m");
        CHECK(util::display("evil\xe2\x80\xae"
                            "gnp.exe") == "evil\\u202egnp.exe");
        CHECK(util::display("iso\xe2\x81\xa6"
                            "x\xe2\x81\xa9") == "iso\\u2066x\\u2069");
        CHECK(util::display("bad \xff\xc3") == "bad \\xff\\xc3");
        CHECK(util::display("café ünïcode \\ back") == "café ünïcode \\ back");
        CHECK(util::has_hidden_controls("x\xe2\x80\xaey"));
        CHECK_FALSE(util::has_hidden_controls("café"));
    }

    TEST_CASE("reasons with a bidi override or a C1 control are refused at input") {
        for (const std::string reason : {"refund \xe2\x80\xae"
                                         "evil",
                                         "refund \xc2\x85"
                                         "x",
                                         "a \xe2\x81\xa6"
                                         "b"}) {
            const auto f = failure_of([&] { credits::normalise_reason(reason); });
            CHECK(f.code == ExitCode::usage);
            CHECK(f.message.find("bidi") != std::string::npos);
        }
        CHECK(failure_of([] { credits::normalise_actor("me\xe2\x80\xae"); }).code == ExitCode::usage);
        CHECK(failure_of([] { credits::check_idempotency_key("k\xc2\x9b"); }).code == ExitCode::usage);
    }
}

TEST_SUITE("hostile: limits count characters") {
    TEST_CASE("a 300-character reason of é is 300 characters, not 600") {
        std::string e300;
        for (int i = 0; i < 300; ++i) e300 += "é";
        CHECK(util::utf8_length(e300) == 300);
        CHECK(credits::normalise_reason(e300) == e300);
        const auto f = failure_of([&] { credits::normalise_reason(e300 + e300); });
        CHECK(f.message == "the reason is 600 characters long; keep it to 500");
        std::string e200;
        for (int i = 0; i < 200; ++i) e200 += "é";
        CHECK_NOTHROW(credits::check_idempotency_key(e200));
        const auto g = failure_of([&] { credits::check_idempotency_key(e200 + e200); });
        CHECK(g.message == "an idempotency key must be 1 to 255 characters; got 400");
    }
}

TEST_SUITE("hostile: the CSV stream") {
    TEST_CASE("any chunk size gives the same records as the whole text") {
        const std::string text = "\xEF\xBB\xBFuser,reason\r\n1,\"a, \"\"b\"\"\nc\"\r\n\r\n2,x\r\n3,\"open\n";
        const auto whole = util::parse_csv(text);
        for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}}) {
            std::string_view rest = text;
            util::CsvReader reader([&](char* buffer, std::size_t size) {
                const auto n = std::min({size, chunk, rest.size()});
                rest.copy(buffer, n);
                rest.remove_prefix(n);
                return n;
            });
            std::vector<util::CsvRecord> records;
            util::CsvRecord r;
            while (reader.next(r)) records.push_back(r);
            REQUIRE(records.size() == whole.size());
            for (std::size_t i = 0; i < records.size(); ++i) {
                CHECK(records[i].line == whole[i].line);
                CHECK(records[i].fields == whole[i].fields);
                CHECK(records[i].error == whole[i].error);
            }
        }
        REQUIRE(whole.size() == 4);
        CHECK(whole[1].fields[1] == "a, \"b\"\nc");
        CHECK(whole[2].line == 5);
        CHECK(whole[3].error.find("never closed") != std::string::npos);
    }

    TEST_CASE("a huge field, a huge record and too many fields are errors, and what is kept stays small") {
        util::CsvLimits limits;
        limits.max_field_bytes = 100;
        limits.max_record_bytes = 250;
        limits.max_fields = 5;
        const auto records = util::parse_csv(std::string(1000, 'x') + "\n" + std::string(30, ',') + "\n" +
                                                 std::string(90, 'a') + "," + std::string(90, 'b') + "," +
                                                 std::string(90, 'c') + "\n\"" + std::string(1000, 'q') + "\"\nok,1\n",
                                             limits);
        REQUIRE(records.size() == 5);
        CHECK(records[0].error == "a field is longer than 100 bytes, the limit for one field");
        CHECK(records[0].fields.empty());
        CHECK(records[1].error == "more than 5 fields, the limit for one record");
        CHECK(records[1].fields.size() == 5);
        CHECK(records[2].error == "the record is longer than 250 bytes, the limit for one record");
        CHECK(records[3].error.find("a field is longer") == 0);
        CHECK(records[4].fields == std::vector<std::string>{"ok", "1"});
        CHECK(records[4].line == 5);

        limits.max_skip_bytes = 500;  // a record that runs on past this ends the input
        const auto stopped = util::parse_csv("a,b\n" + std::string(600, 'x') + "\nnever,read\n", limits);
        REQUIRE(stopped.size() == 2);
        CHECK(stopped[1].error ==
              "a field is longer than 100 bytes, the limit for one field; the rest of the input "
              "was not read (the record runs on for more than 500 bytes)");
        const auto commas = util::parse_csv("a,b\n" + std::string(600, ',') + "\nnever,read\n", limits);
        REQUIRE(commas.size() == 2);
        CHECK(commas[1].error ==
              "more than 5 fields, the limit for one record; the rest of the input was not read "
              "(the record runs on for more than 500 bytes)");
    }

    TEST_CASE("an import lists the first 1000 bad rows and counts the rest") {
        auto database = shop(1);
        std::string text = "user,action,amount,reason\n";
        for (int i = 0; i < 1500; ++i) text += "1,grant\n";
        credits::ImportOptions options;
        options.source_name = "a.csv";
        const auto r = credits::import_csv(database, text, options);
        CHECK(r.bad_rows == 1500);
        CHECK(r.errors.size() == credits::max_errors_listed);
        CHECK(r.totals.rows == 1500);
    }

    TEST_CASE("rows are kept only when asked, and keys repeated far apart in the file are still found") {
        auto database = shop(1);
        std::string text = "user,action,amount,reason,idempotency_key\n1,grant,5,x,k1\n";
        for (int i = 0; i < 3000; ++i) text += "1,grant,1,y,key" + std::to_string(i) + "\n";
        text += "1,grant,5,x,k1\n1,grant,6,x,k1\n";
        credits::ImportOptions options;
        options.source_name = "a.csv";
        options.actor = "t";
        options.keep_rows = credits::ImportOptions::KeepRows::no;
        const auto r = credits::import_csv(database, text, options);
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].message == "idempotency key \"k1\" is also on line 2 for a different request");
        CHECK(r.rows.empty());
        CHECK(r.totals.skipped == 1);  // the same request on line 3003: a duplicate of line 2
        CHECK(text_of(database, "SELECT count(*) FROM quicktools_ledger") == "0");  // rolled back
    }
}

TEST_SUITE("hostile: events") {
    TEST_CASE("a created date out of range needs attention instead of being converted") {
        auto database = shop(1);
        const auto r = replay(database, {event("evt_future", 99999999999999), event("evt_1969", -5),
                                         event("evt_2009", 1230768000), event("evt_ok", 1767225600)});
        CHECK(r.count(stripe::Outcome::needs_attention) == 3);
        CHECK(r.count(stripe::Outcome::credited) == 1);
        REQUIRE(r.attention.size() == 3);
        CHECK(r.attention[0].reason ==
              "created 99999999999999 is more than a day ahead of this machine's clock: the "
              "event is not applied");
        CHECK(r.attention[1].reason ==
              "created -5 (1969-12-31 23:59:55 UTC) is before 2010, when Stripe began: the "
              "event is not applied");
        CHECK(text_of(database, "SELECT last_purchase_date FROM users WHERE id = 1") == "2026-01-01 00:00:00.000000");
        CHECK(failure_of([] { util::timestamp_from_unix(99999999999999); }).code == ExitCode::failed);
    }

    TEST_CASE("one event past the size limit is refused, however its bytes are spent") {
        const std::string event_text = event("evt_1", 1767225600);
        for (const std::string& input :
             {"[" + event_text + "," + event_text.substr(0, 5) + std::string(5000, ' ') + event_text.substr(5) + "]",
              "{\"id\":" + std::string(5000, '1') + "}", "{" + std::string(5000, ' ') + "}",
              "[{\"a\":" + std::string(5000, '['), event_text + "\n{\"id\":\"" + std::string(5000, 'x') + "\"}"}) {
            char name[] = "/tmp/qt_hostile_XXXXXX";
            const int fd = ::mkstemp(name);
            REQUIRE(fd >= 0);
            REQUIRE(::write(fd, input.data(), input.size()) == static_cast<ssize_t>(input.size()));
            ::close(fd);
            stripe::StreamEventReader reader(name, 64, 1024);
            stripe::RawEvent raw;
            const auto f = failure_of([&] {
                while (reader.next(raw)) CHECK(raw.text.size() <= 1024 + 64);
            });
            ::unlink(name);
            CAPTURE(f.message);
            CHECK(f.code == ExitCode::usage);
            CHECK(f.message.find("an event is larger than 1 KiB, the limit for one event") != std::string::npos);
        }
    }

    TEST_CASE("an event that repeats a key needs attention, naming the key") {
        stripe::EventParser parser;
        stripe::Event e;
        CHECK(parser.parse(event("evt_1", 1767225600), e).empty());
        std::string twice = event("evt_1", 1767225600);
        twice.insert(1, R"("id":"evt_other",)");
        // Like any event of a shape the tool cannot read: it needs attention, the rest of the file applies.
        CHECK(parser.parse(twice, e).empty());
        CHECK(e.unknown_shape == "the key \"id\" appears twice in one object (JSON readers disagree on which counts)");
        CHECK(parser.parse(event("evt_1", 1767225600, "1", R"(,"user_id":"2")"), e).empty());
        CHECK(e.unknown_shape ==
              "the key \"user_id\" appears twice in one object (JSON readers disagree on which counts)");
        CHECK(parser.parse(event("evt_1", 1767225600), e).empty());
        CHECK(e.unknown_shape.empty());
    }

    TEST_CASE("a policy that repeats a key is refused, naming the key") {
        const auto f = failure_of(
            [] { migrate::parse_policy(R"({"name":"a","tiers":{"pro":{"credits":5,"credits":"full"}}})", "p.json"); });
        CHECK(f.code == ExitCode::usage);
        CHECK(f.message.find("the key \"credits\" twice") != std::string::npos);
        CHECK(failure_of([] { migrate::parse_policy(R"({"name":"x\u202egnp"})", "p.json"); }).code == ExitCode::usage);
    }
}
