// Ctrl-C and SIGTERM between SQL statements, in a wait, or mid-request. The engine forgets an
// interrupt made while no statement runs, so the tool's own flag must stop the work
// and keep the transaction from committing. Each case runs in a forked child (forked.hpp).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <string>
#include <thread>

#include "db_value.hpp"
#include "fake_http.hpp"
#include "forked.hpp"
#include "quicktools/db/database.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/stripe/event_reader.hpp"
#include "quicktools/stripe/replay.hpp"
#include "quicktools/util/interrupt.hpp"

using namespace quicktools;
using testing::in_child;
using testing::interruption;

namespace {

int count_rows(db::Database& database, const char* table) {
    return static_cast<int>(test::value_int64(database, std::string("SELECT count(*) FROM ") + table));
}

// The events of a source, with SIGINT raised once `raise_after` of them were handed out.
class SignallingSource : public stripe::EventSource {
public:
    SignallingSource(int events, int raise_after) : m_events(events), m_raise_after(raise_after) {}
    bool next(stripe::RawEvent& event) override {
        if (m_given == m_raise_after) std::raise(SIGINT);
        if (m_given == m_events) return false;
        m_text = R"({"id":"evt_)" + std::to_string(m_given) +
                 R"(","type":"customer.created","created":1,)"
                 R"("livemode":false,"data":{"object":{"id":"cus_1","object":"customer"}}})";
        event.text = m_text;
        event.offset = m_given++;
        return true;
    }
    const std::string& name() const override { return m_name; }

private:
    int m_events;
    int m_raise_after;
    int m_given = 0;
    std::string m_text;
    std::string m_name = "signalling";
};

// An HTTP client whose request is cut off by Ctrl-C: the signal comes, then a 500 (which
// would otherwise be retried).
class SignalledHttp final : public stripe::HttpClient {
public:
    stripe::HttpResponse send(const stripe::HttpRequest&) override {
        ++sent;
        std::raise(SIGINT);
        return {500, {}, R"({"error":{"type":"api_error"}})"};
    }
    int sent = 0;
};

}  // namespace

TEST_SUITE("interrupt") {
    TEST_CASE("a signal between statements: the write transaction refuses to commit and rolls back") {
        CHECK(in_child([] {
                  auto database = db::Database::in_memory();
                  database.execute("CREATE TABLE t (x)");
                  const auto stopped = interruption([&] {
                      db::WriteTransaction tx(database);
                      database.execute("INSERT INTO t VALUES (1)");
                      std::raise(SIGINT);  // no statement is running: SQLite will not see it
                      tx.commit();
                  });
                  return !stopped.empty() && count_rows(database, "t") == 0 ? 0 : 1;
              }) == 0);
    }

    TEST_CASE("a record of what already happened elsewhere is committed after a signal all the same") {
        CHECK(in_child([] {
                  auto database = db::Database::in_memory();
                  database.execute("CREATE TABLE t (x)");
                  db::WriteTransaction tx(database);
                  database.execute("INSERT INTO t VALUES (1)");
                  std::raise(SIGINT);
                  tx.commit(db::WriteTransaction::OnSignal::commit);
                  return count_rows(database, "t") == 1 ? 0 : 1;
              }) == 0);
    }

    TEST_CASE("a replay stops at the event after the signal") {
        CHECK(in_child([] {
                  auto database = db::Database::in_memory();
                  db::initialise(database, "test");
                  SignallingSource source(100, 3);
                  db::WriteTransaction tx(database);
                  const auto stopped = interruption([&] { stripe::apply_events(database, source, {}); });
                  return !stopped.empty() && count_rows(database, "quicktools_stripe_events") == 3 ? 0 : 1;
              }) == 0);
    }

    TEST_CASE("a Stripe request cut off by a signal is not retried, and a POST names its key") {
        const auto cut_off = [](const std::function<void(stripe::StripeClient&)>& call, const std::string& expected) {
            return in_child([&] {
                SignalledHttp http;
                stripe::StripeClient client(http, stripe::ApiKey{"sk_test_x", "flag"}, testing::offline_options(3));
                return interruption([&] { call(client); }) == expected && http.sent == 1 ? 0 : 1;
            });
        };
        CHECK(cut_off(
                  [](auto& c) {
                      c.post("/v1/checkout/sessions", {{"mode", "payment"}}, "key-123");
                  },
                  "interrupted during Stripe POST /v1/checkout/sessions: Stripe may have acted on it; a repeat "
                  "with idempotency key key-123 is safe") == 0);
        CHECK(cut_off([](auto& c) { c.get("/v1/events", {}); }, "interrupted during Stripe GET /v1/events") == 0);
    }

    TEST_CASE("reading input ends on a signal, also one that came just before the read") {
        CHECK(in_child([] {
                  int fds[2];
                  if (::pipe(fds) != 0) return 1;
                  std::raise(SIGINT);  // a blocking read() started now would never see it
                  char c = 0;
                  return interruption([&] { util::read_some(fds[0], &c, 1, "the pipe"); }).empty() ? 1 : 0;
              }) == 0);
        CHECK(in_child([] {
                  int fds[2];
                  if (::pipe(fds) != 0 || ::write(fds[1], "x", 1) != 1) return 1;
                  char c = 0;
                  return util::read_some(fds[0], &c, 1, "the pipe") == 1 && c == 'x' ? 0 : 2;  // no signal: reads
              }) == 0);
    }

    TEST_CASE("a read error names the input") {
        const int dir = ::open("/", O_RDONLY | O_DIRECTORY);
        REQUIRE(dir >= 0);
        char c = 0;
        CHECK_THROWS_WITH(util::read_some(dir, &c, 1, "stdin"), "cannot read stdin: Is a directory");
        ::close(dir);
    }

    TEST_CASE("a wait ends early on a signal") {
        CHECK(in_child([] {
                  std::thread signaller([] {
                      std::this_thread::sleep_for(std::chrono::milliseconds(50));
                      std::raise(SIGTERM);
                  });
                  const auto started = std::chrono::steady_clock::now();
                  util::sleep_unless_interrupted(std::chrono::seconds(60));
                  signaller.join();
                  // Well short of the minute asked for: the signal ended it.
                  return std::chrono::steady_clock::now() - started < std::chrono::seconds(30) && util::interrupted()
                             ? 0
                             : 1;
              }) == 0);
    }
}
