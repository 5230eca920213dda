// Ctrl-C and SIGTERM between SQL statements, in a wait, or mid-request. SQLite forgets an
// sqlite3_interrupt() made while no statement runs, so the tool's own flag must stop the work
// and keep the transaction from committing. Each case runs in a forked child (forked.hpp).
#include <SQLiteCpp/Statement.h>
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "fake_http.hpp"
#include "forked.hpp"
#include "quicktools/db/database.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/stripe/event_reader.hpp"
#include "quicktools/stripe/replay.hpp"
#include "quicktools/util/interrupt.hpp"

using namespace quicktools;
using testing::in_child;

namespace {

int count_rows(db::Database& database, const char* table) {
    return database.sql().execAndGet(std::string("SELECT count(*) FROM ") + table).getInt();
}

// The events of a source, with SIGINT raised once `raise_after` of them were handed out.
class SignallingSource : public stripe::EventSource {
public:
    SignallingSource(int events, int raise_after) : m_events(events), m_raise_after(raise_after) {}
    bool next(stripe::RawEvent& event) override {
        if (m_given == m_raise_after) std::raise(SIGINT);
        if (m_given == m_events) return false;
        m_text = R"({"id":"evt_)" + std::to_string(m_given) + R"(","type":"customer.created","created":1,)"
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
                  database.sql().exec("CREATE TABLE t (x)");
                  try {
                      db::WriteTransaction tx(database);
                      database.sql().exec("INSERT INTO t VALUES (1)");
                      std::raise(SIGINT);  // no statement is running: SQLite will not see it
                      tx.commit();
                      return 1;
                  } catch (const Error& e) {
                      if (e.code() != ExitCode::interrupted) return 2;
                  }
                  return count_rows(database, "t") == 0 ? 0 : 3;
              }) == 0);
    }

    TEST_CASE("a record of what already happened elsewhere is committed after a signal all the same") {
        CHECK(in_child([] {
                  auto database = db::Database::in_memory();
                  database.sql().exec("CREATE TABLE t (x)");
                  db::WriteTransaction tx(database);
                  database.sql().exec("INSERT INTO t VALUES (1)");
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
                  try {
                      stripe::apply_events(database, source, {});
                      return 1;
                  } catch (const Error& e) {
                      if (e.code() != ExitCode::interrupted) return 2;
                  }
                  return count_rows(database, "quicktools_stripe_events") == 3 ? 0 : 3;
              }) == 0);
    }

    TEST_CASE("a Stripe request cut off by a signal is not retried, and a POST names its key") {
        CHECK(in_child([] {
                  SignalledHttp http;
                  stripe::StripeClient client(http, stripe::ApiKey{"sk_test_x", "flag"}, testing::offline_options(3));
                  try {
                      client.post("/v1/checkout/sessions", {{"mode", "payment"}}, "key-123");
                      return 1;
                  } catch (const Error& e) {
                      if (e.code() != ExitCode::interrupted) return 2;
                      if (std::string(e.what()) != "interrupted during Stripe POST /v1/checkout/sessions: Stripe may "
                                                   "have acted on it; a repeat with idempotency key key-123 is safe")
                          return 3;
                  }
                  return http.sent == 1 ? 0 : 4;
              }) == 0);
        CHECK(in_child([] {
                  SignalledHttp http;
                  stripe::StripeClient client(http, stripe::ApiKey{"sk_test_x", "flag"}, testing::offline_options(3));
                  try {
                      client.get("/v1/events", {});
                      return 1;
                  } catch (const Error& e) {
                      if (std::string(e.what()) != "interrupted during Stripe GET /v1/events") return 2;
                  }
                  return http.sent == 1 ? 0 : 3;
              }) == 0);
    }

    TEST_CASE("waiting for input ends on a signal, also one that came just before the wait") {
        CHECK(in_child([] {
                  int fds[2];
                  if (::pipe(fds) != 0) return 1;
                  std::raise(SIGINT);  // a blocking read() started now would never see it
                  try {
                      util::wait_until_readable(fds[0]);
                      return 2;
                  } catch (const Error& e) {
                      return e.code() == ExitCode::interrupted ? 0 : 3;
                  }
              }) == 0);
        CHECK(in_child([] {
                  int fds[2];
                  if (::pipe(fds) != 0 || ::write(fds[1], "x", 1) != 1) return 1;
                  util::wait_until_readable(fds[0]);  // no signal: returns once there is data
                  return 0;
              }) == 0);
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
