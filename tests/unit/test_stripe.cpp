#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "db_value.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/db/statement.hpp"
#include "quicktools/stripe/event.hpp"
#include "quicktools/stripe/event_reader.hpp"
#include "quicktools/stripe/replay.hpp"
#include "quicktools/stripe/signature.hpp"
#include "quicktools/util/crypto.hpp"
#include "stripe/read_ahead.hpp"

using namespace quicktools;

namespace {

// A temporary file with the given text, removed at the end of the scope.
struct TempFile {
    std::string path;
    explicit TempFile(const std::string& text) {
        char name[] = "/tmp/qt_stripe_XXXXXX";
        const int fd = ::mkstemp(name);
        REQUIRE(fd >= 0);
        ::close(fd);
        path = name;
        std::ofstream(path, std::ios::binary) << text;
    }
    ~TempFile() { std::remove(path.c_str()); }
};

std::vector<std::string> read_all(const std::string& text, std::size_t chunk) {
    TempFile file(text);
    stripe::StreamEventReader reader(file.path, chunk);
    std::vector<std::string> out;
    stripe::RawEvent raw;
    while (reader.next(raw)) out.emplace_back(raw.text);
    return out;
}

std::string completed(const std::string& id, const std::string& user, const std::string& pack, int amount) {
    return R"({"id":")" + id +
           R"(","type":"checkout.session.completed","created":1767225600,"livemode":false,)"
           R"("data":{"object":{"object":"checkout.session","id":"cs_)" +
           id +
           R"(","mode":"payment",)"
           R"("payment_status":"paid","amount_total":)" +
           std::to_string(amount) +
           R"(,"currency":"usd",)"
           R"("payment_intent":"pi_)" +
           id + R"(","metadata":{"user_id":")" + user + R"(","pack":")" + pack + R"("}}}})";
}

}  // namespace

TEST_SUITE("stripe event reader") {
    const std::string a = R"({"id":"a","s":"x\"}]{[","n":[1,{"b":2}]})";
    const std::string b = R"({"id":"b","s":"\\","t":true})";

    TEST_CASE("every input format gives the same events, at any chunk size") {
        for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{7}, std::size_t{1} << 20}) {
            CAPTURE(chunk);
            CHECK(read_all(a, chunk) == std::vector<std::string>{a});
            CHECK(read_all(" [ " + a + " ,\n" + b + " ] \n", chunk) == std::vector<std::string>{a, b});
            CHECK(read_all(a + "\n" + b + "\n", chunk) == std::vector<std::string>{a, b});
            CHECK(read_all(R"({"object":"list","url":"/v1/events","data":[)" + a + "," + b + R"(],"has_more":false})",
                           chunk) == std::vector<std::string>{a, b});
            CHECK(read_all("[]", chunk).empty());
        }
    }
    TEST_CASE("malformed and truncated input names the file and the byte") {
        auto error_of = [](const std::string& text) {
            try {
                read_all(text, 4);
            } catch (const Error& e) {
                CHECK(e.code() == ExitCode::usage);
                return std::string(e.what());
            }
            return std::string("no error");
        };
        CHECK(error_of("").find("no JSON found") != std::string::npos);
        CHECK(error_of("[" + a + "," + b.substr(0, 10)).find("truncated") != std::string::npos);
        CHECK(error_of("[" + a + " " + b + "]").find("expected ',' or ']'") != std::string::npos);
        const auto ndjson = error_of(a + "\n" + b + "\nnot json\n");
        CHECK(ndjson.find("line 3") != std::string::npos);
        CHECK(ndjson.find("byte " + std::to_string(a.size() + b.size() + 2)) != std::string::npos);
        CHECK(error_of("[" + a + "] x").find("after the array") != std::string::npos);
        CHECK(error_of("[1]").find("expected an event object") != std::string::npos);
    }
}

TEST_SUITE("stripe event parser") {
    TEST_CASE("reads the fields replay needs, and refuses what is not an event") {
        stripe::EventParser parser;
        stripe::Event e;
        CHECK(parser.parse(completed("evt_1", "7", "pro", 3000), e).empty());
        CHECK(e.id == "evt_1");
        CHECK(e.object_type == "checkout.session");
        CHECK(e.meta_user_id == "7");
        CHECK(e.meta_pack == "pro");
        CHECK(e.amount_total == 3000);
        CHECK(e.payment_intent == "pi_evt_1");
        CHECK(parser.parse(R"({"id":"x","type":tru})", e).find("malformed JSON") == 0);
        // JSON that is not an event this tool reads is no error: the event is kept for a person.
        const auto shape = [&](const char* text) {
            CHECK(parser.parse(text, e).empty());
            return e.unknown_shape;
        };
        CHECK(shape(R"({"type":"a","data":{"object":{}}})") == "no string \"id\"");
        CHECK(e.id.rfind("unidentified_", 0) == 0);
        CHECK(shape(R"({"id":"x","type":"a","created":1,"livemode":false})") == "no data.object");
        // The envelope's types are checked: "false" as a string is no test mode, and no time is no 1970.
        CHECK(shape(R"({"id":"x","type":"a","livemode":false,"data":{"object":{}}})").find("\"created\"") !=
              std::string::npos);
        CHECK(
            shape(R"({"id":"x","type":"a","created":"1","livemode":false,"data":{"object":{}}})").find("\"created\"") !=
            std::string::npos);
        CHECK(
            shape(R"({"id":"x","type":"a","created":1,"livemode":"true","data":{"object":{}}})").find("\"livemode\"") !=
            std::string::npos);
        CHECK(shape(R"({"id":"evt_1","object":"v2.core.event","type":"v1.a","created":"2026-01-01T00:00:00Z"})")
                  .find("thin event") != std::string::npos);
        CHECK(e.id == "evt_1");
        // An EventBridge envelope is unwrapped.
        CHECK(parser
                  .parse(R"({"version":"0","detail-type":"x","source":"aws.partner/stripe.com","detail":)" +
                             completed("evt_2", "7", "pro", 3000) + "}",
                         e)
                  .empty());
        CHECK(e.unknown_shape.empty());
        CHECK(e.id == "evt_2");
        CHECK(e.meta_pack == "pro");
    }
}

TEST_SUITE("stripe apply") {
    TEST_CASE("a purchase credits once, in the ledger, and its session once") {
        auto database = db::Database::in_memory();
        db::initialise(database, "test");
        database.execute(
            "INSERT INTO users (id, email, hashed_password, is_active, created_at) "
            "VALUES (7, 'u7@example.com', 'x', 1, '2026-01-01 00:00:00.000000')");
        stripe::MemoryEventSource source("memory",
                                         {completed("evt_1", "7", "pro", 3000), completed("evt_1", "7", "pro", 3000),
                                          completed("evt_2", "8", "pro", 3000), completed("evt_3", "7", "gold", 3000)});
        stripe::ReplayOptions options;
        db::WriteTransaction tx(database);
        const auto r = stripe::apply_events(database, source, options);
        tx.commit();
        CHECK(r.events == 4);
        CHECK(r.count(stripe::Outcome::credited) == 1);
        CHECK(r.count(stripe::Outcome::duplicate) == 1);
        CHECK(r.count(stripe::Outcome::needs_attention) == 2);
        REQUIRE(r.attention.size() == 2);
        CHECK(r.attention[0].reason == "unknown user 8 (metadata.user_id)");
        CHECK(r.attention[1].reason == "unknown pack gold");
        db::Statement q(database,
                        "SELECT credits_balance, credits_purchased_total, api_access_unlocked, "
                        "last_purchase_date, last_purchase_amount FROM users WHERE id = 7");
        REQUIRE(q.step());
        CHECK(q.column("credits_balance").int64() == 1210);
        CHECK(q.column("credits_purchased_total").int64() == 1200);
        CHECK(q.column("api_access_unlocked").int64() == 1);
        CHECK(q.column("last_purchase_date").text() == "2026-01-01 00:00:00.000000");
        CHECK(q.column("last_purchase_amount").int64() == 1200);
        CHECK(test::value_text(database,
                               "SELECT balance_delta || '/' || purchased_delta || '/' || kind "
                               "FROM quicktools_ledger") == "1200/1200/purchase");
        CHECK(test::value_int64(database, "SELECT count(*) FROM quicktools_stripe_events WHERE payload IS NOT NULL") ==
              2);
    }
}

TEST_SUITE("stripe signature") {
    const std::string body = "{\"id\":\"evt_1\"}\n";
    const std::string secret = "whsec_test";
    const std::int64_t t = 1767225600;

    TEST_CASE("a header signed with the secret is valid, and any v1 may match") {
        const auto sig = util::hmac_sha256_hex(secret, std::to_string(t) + "." + body);
        CHECK(stripe::sign_payload(body, secret, t) == "t=1767225600,v1=" + sig);
        CHECK(stripe::verify_signature("t=1767225600,v1=" + sig, body, secret, 300, t + 10).valid);
        CHECK(stripe::verify_signature("t=1767225600,v1=00ff,v1=" + sig + ",v0=abc", body, secret, 300, t).valid);
    }
    TEST_CASE("tampered, expired, v0 only and malformed headers are refused with a reason") {
        const auto header = stripe::sign_payload(body, secret, t);
        CHECK_FALSE(stripe::verify_signature(header, body + " ", secret, 300, t).valid);
        CHECK_FALSE(stripe::verify_signature(header, body, "whsec_other", 300, t).valid);
        const auto old = stripe::verify_signature(header, body, secret, 300, t + 301);
        CHECK_FALSE(old.valid);
        CHECK(old.reason.find("tolerance") != std::string::npos);
        CHECK(stripe::verify_signature(header, body, secret, 0, t + 100000).valid);
        CHECK(stripe::verify_signature("t=1767225600,v0=abc", body, secret, 0, t).reason.find("v0") !=
              std::string::npos);
        CHECK(stripe::verify_signature("v1=abc", body, secret, 0, t).reason.find("malformed") == 0);
        CHECK(stripe::verify_signature("t=12x,v1=abc", body, secret, 0, t).reason.find("malformed") == 0);
        CHECK(stripe::verify_signature("", body, secret, 0, t).reason.find("malformed") == 0);
    }
}

TEST_SUITE("stripe replay read-ahead") {
    // More events than the reading thread may hold ahead, so it waits for the replay loop.
    std::vector<std::string> many_events(int count) {
        std::vector<std::string> events;
        for (int i = 0; i < count; ++i) events.push_back(completed("evt_" + std::to_string(i), "7", "pro", 3000));
        return events;
    }
    std::string joined(const std::vector<std::string>& events) {
        std::string text;
        for (const auto& e : events) text += e + "\n";
        return text;
    }

    TEST_CASE("a regular file is read ahead on a second thread, in order, each event whole") {
        const auto events = many_events(1000);
        TempFile file(joined(events));
        stripe::StreamEventReader reader(file.path);
        REQUIRE(reader.regular_file());
        stripe::detail::ParsedEvents parsed(reader);
        std::int64_t offset = 0;
        for (const auto& text : events) {
            const auto* e = parsed.next();
            REQUIRE(e != nullptr);
            CHECK(e->text == text);
            CHECK(e->offset == offset);
            CHECK(e->event.id == text.substr(7, text.find('"', 7) - 7));
            offset += static_cast<std::int64_t>(text.size()) + 1;
        }
        CHECK(parsed.next() == nullptr);
        CHECK(parsed.next() == nullptr);
    }
    TEST_CASE("stdin and other sources are parsed on the caller's thread, with the same events") {
        stripe::StreamEventReader null_device("/dev/null");
        CHECK_FALSE(null_device.regular_file());
        const auto events = many_events(300);
        stripe::MemoryEventSource source("memory", events);
        stripe::detail::ParsedEvents parsed(source);
        for (const auto& text : events) {
            const auto* e = parsed.next();
            REQUIRE(e != nullptr);
            CHECK(e->text == text);
        }
        CHECK(parsed.next() == nullptr);
    }
    TEST_CASE("a malformed event comes after every event before it, naming the file and the byte") {
        auto events = many_events(700);
        const auto good = joined(events);
        TempFile file(good + "{\"id\": tru}\n" + joined(many_events(300)));
        stripe::StreamEventReader reader(file.path);
        stripe::detail::ParsedEvents parsed(reader);
        for (int i = 0; i < 700; ++i) REQUIRE(parsed.next() != nullptr);
        try {
            parsed.next();
            FAIL("no error for the malformed event");
        } catch (const Error& e) {
            CHECK(e.code() == ExitCode::usage);
            CHECK(std::string(e.what()).find(file.path) != std::string::npos);
            const std::string message = e.what();
            CAPTURE(message);
            CHECK(std::string(e.what()).find("byte " + std::to_string(good.size())) != std::string::npos);
        }
    }
    TEST_CASE("stopping early ends the reading thread") {
        TempFile file(joined(many_events(2000)));
        for (int stop_after : {0, 1, 100}) {
            stripe::StreamEventReader reader(file.path);
            stripe::detail::ParsedEvents parsed(reader);
            for (int i = 0; i < stop_after; ++i) REQUIRE(parsed.next() != nullptr);
        }  // the destructor joins the thread: the test ends instead of hanging
    }
}
