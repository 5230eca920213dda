#pragma once
// In-process command tests: `quicktools ARGS...` run by cli::run over string streams, on
// temporary database files built with SQL through the core. Each run takes milliseconds.
//
//     TestDatabase db = TestDatabase::fresh();        // `db init`, three users as the web app adds them
//     const auto r = db.run({"credits", "grant", "1", "5", "--reason", "x"});
//     CHECK(r.code == 0);
//     CHECK(r.json()["balance_after"] == 15);        // with {"--json", ...}
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace quicktools::testing {

// What one run printed and returned.
struct Outcome {
    int code = 0;
    std::string out;
    std::string err;
    nlohmann::json json() const { return nlohmann::json::parse(out); }
    // stderr as one line (its last newline dropped): a usage error or a refusal is one line.
    std::string err_line() const;
    bool err_is_one_line() const;
};

// Runs the command line (without the program's name) in-process; `input` is its stdin.
Outcome run(const std::vector<std::string>& args, const std::string& input = "");

// A directory of its own under the system's temporary directory, removed with what it holds.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return m_path; }
    std::string file(const std::string& name) const { return (m_path / name).string(); }

private:
    std::filesystem::path m_path;
};

// A database file in a TempDir.
class TestDatabase {
public:
    // `db init` (the final schema) and three users added as the web app adds them (column
    // defaults: 10 credits each), user<N>@example.com.
    static TestDatabase fresh();
    // The web app's legacy schema (001) with `users` users: every tenth user id%10 == 1 is pro,
    // == 2 basic, == 3 business (active, with a subscription sub_<id>), the rest free; each has
    // used id%7 of its monthly credits.
    static TestDatabase legacy(int users);
    // legacy(users), then `migrate packs --no-backup`.
    static TestDatabase migrated(int users);
    // An empty file that is no database of the tool's: only `sql` run on it.
    static TestDatabase with_schema(const std::string& sql);

    const std::string& path() const { return m_path; }
    std::string file(const std::string& name) const { return m_dir->file(name); }
    // The command line with --db PATH in front.
    Outcome run(std::vector<std::string> args, const std::string& input = "") const;
    Outcome run_json(std::vector<std::string> args) const;

    // Runs SQL statements on the file (as the web app would, behind the tool's back).
    void exec(const std::string& sql) const;
    // The rows of a query, each column as text ("NULL" for NULL).
    std::vector<std::vector<std::string>> rows(const std::string& sql) const;
    std::int64_t scalar(const std::string& sql) const;
    // Every row of every table, in order: equal before and after means nothing changed.
    std::string dump() const;

private:
    TestDatabase();
    std::shared_ptr<TempDir> m_dir;
    std::string m_path;
};

}  // namespace quicktools::testing
