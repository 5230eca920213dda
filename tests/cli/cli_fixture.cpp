#include "cli_fixture.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "quicktools/cli/app.hpp"
#include "quicktools/db/database.hpp"
#include "quicktools/db/migrations.hpp"

namespace quicktools::testing {

std::string Outcome::err_line() const {
    std::string line = err;
    if (!line.empty() && line.back() == '\n') line.pop_back();
    return line;
}

bool Outcome::err_is_one_line() const {
    const auto line = err_line();
    return !line.empty() && line.find('\n') == std::string::npos;
}

Outcome run(const std::vector<std::string>& args, const std::string& input) {
    std::istringstream in(input);
    std::ostringstream out;
    std::ostringstream err;
    cli::Context ctx(in, out, err);
    const int code = cli::run(args, ctx);
    return {code, out.str(), err.str()};
}

namespace {

// In memory when the system has a tmpfs at /dev/shm: a commit there waits for no disk, so a
// test that writes takes milliseconds instead of the tenths of a second its fsyncs cost.
std::filesystem::path fixture_temp_base() {
    std::error_code error;
    if (std::getenv("TMPDIR") == nullptr && std::filesystem::is_directory("/dev/shm", error) &&
        ::access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    return std::filesystem::temp_directory_path();
}

}  // namespace

TempDir::TempDir() {
    std::string pattern = (fixture_temp_base() / "quicktools-cli-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    m_path = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
}

TestDatabase::TestDatabase() : m_dir(std::make_shared<TempDir>()), m_path(m_dir->file("quicktools.db")) {}

TestDatabase TestDatabase::fresh() {
    TestDatabase db;
    REQUIRE(db.run({"db", "init"}).code == 0);
    db.exec(
        "INSERT INTO users (email, hashed_password, is_active, created_at) VALUES "
        "('user1@example.com', 'x', 1, '2026-11-20 10:00:00.000000'), "
        "('user2@example.com', 'x', 1, '2026-11-20 10:00:00.000000'), "
        "('user3@example.com', 'x', 1, '2026-11-20 10:00:00.000000')");
    return db;
}

TestDatabase TestDatabase::legacy(int users) {
    TestDatabase db = with_schema(std::string(db::migration(db::legacy_schema_version).sql));
    db.exec(fmt::format(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) "
        "INSERT INTO users (id, email, hashed_password, full_name, is_active, created_at, stripe_customer_id, "
        "subscription_tier, subscription_status, stripe_subscription_id, monthly_credits, credits_used_this_month, "
        "credits_reset_date) "
        "SELECT i, 'user' || i || '@example.com', 'x', 'User ' || i, 1, '2025-01-01 00:00:00.000000', "
        "CASE WHEN i % 10 IN (1, 2, 3) THEN 'cus_' || i END, "
        "CASE i % 10 WHEN 1 THEN 'pro' WHEN 2 THEN 'basic' WHEN 3 THEN 'business' ELSE 'free' END, "
        "CASE WHEN i % 10 IN (1, 2, 3) THEN 'active' END, CASE WHEN i % 10 IN (1, 2, 3) THEN 'sub_' || i END, "
        "CASE i % 10 WHEN 1 THEN 1000 WHEN 2 THEN 200 WHEN 3 THEN 5000 ELSE 10 END, i % 7, "
        "'2026-12-01 00:00:00.000000' FROM n",
        users));
    return db;
}

TestDatabase TestDatabase::migrated(int users) {
    TestDatabase db = legacy(users);
    const auto r = db.run({"migrate", "packs", "--no-backup"});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    return db;
}

TestDatabase TestDatabase::with_schema(const std::string& sql) {
    TestDatabase db;
    auto database = db::Database::create_new(db.m_path, 1000);
    if (!sql.empty()) database.execute(sql);
    return db;
}

Outcome TestDatabase::run(std::vector<std::string> args, const std::string& input) const {
    args.insert(args.begin(), {"--db", m_path});
    return testing::run(args, input);
}

Outcome TestDatabase::run_json(std::vector<std::string> args) const {
    args.insert(args.begin(), "--json");
    return run(std::move(args));
}

// The database access of the tests, in one place.
void TestDatabase::exec(const std::string& sql) const {
    auto database = db::Database::open_existing({m_path, 1000, db::Access::read_write});
    database.execute(sql);
}

std::vector<std::vector<std::string>> TestDatabase::rows(const std::string& sql) const {
    auto database = db::Database::open_existing({m_path, 1000, db::Access::read_only});
    db::Statement q(database, sql);
    std::vector<std::vector<std::string>> out;
    while (q.step()) {
        std::vector<std::string> row;
        for (int i = 0; i < q.column_count(); ++i) row.push_back(q.column(i).is_null() ? "NULL" : q.column(i).text());
        out.push_back(std::move(row));
    }
    return out;
}

std::int64_t TestDatabase::scalar(const std::string& sql) const {
    const auto r = rows(sql);
    REQUIRE(r.size() == 1);
    return std::stoll(r.front().front());
}

std::string TestDatabase::dump() const {
    std::string out;
    for (const auto& object : rows("SELECT type, name, sql FROM sqlite_master ORDER BY type, name")) {
        out += fmt::format("{} {}: {}\n", object[0], object[1], object[2]);
        if (object[0] != "table") continue;
        for (const auto& row : rows(fmt::format("SELECT * FROM \"{}\" ORDER BY rowid", object[1]))) {
            for (const auto& value : row) out += value + "|";
            out += "\n";
        }
    }
    return out;
}

}  // namespace quicktools::testing
