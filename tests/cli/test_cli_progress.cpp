// Context::progress, the one factory of progress bars: drawn on the context's stderr when it is
// a terminal, never with --quiet or without a terminal.
#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "cli_fixture.hpp"
#include "quicktools/cli/app.hpp"

using quicktools::testing::TestDatabase;

namespace {

struct ProgressOutcome {
    int code;
    std::string out;
    std::string err;
};

ProgressOutcome progress_run(const std::vector<std::string>& args, bool stderr_terminal) {
    std::istringstream in;
    std::ostringstream out, err;
    quicktools::cli::Context ctx(in, out, err);
    ctx.stderr_terminal = stderr_terminal;
    const int code = quicktools::cli::run(args, ctx);
    return {code, out.str(), err.str()};
}

}  // namespace

TEST_SUITE("progress") {
    TEST_CASE("db backup draws its pages on a terminal's stderr, and only there") {
        const auto db = TestDatabase::migrated(50);
        auto r = progress_run({"--db", db.path(), "db", "backup", db.file("a.db")}, true);
        REQUIRE(r.code == 0);
        CHECK(std::regex_search(
            r.err, std::regex(R"(\rdb backup: pages: (\d+)/\1 \(100%\), \d+/s, done in \d+\.\ds\x1b\[K\n$)")));
        CHECK(r.out.find("Backed up") != std::string::npos);  // stdout has the result only
        r = progress_run({"--db", db.path(), "-q", "db", "backup", db.file("b.db")}, true);
        CHECK(r.code == 0);
        CHECK(r.err.empty());
        r = progress_run({"--db", db.path(), "db", "backup", db.file("c.db")}, false);
        CHECK(r.code == 0);
        CHECK(r.err.empty());
    }

    TEST_CASE("credits import counts rows without a total; migrate packs with one") {
        const auto db = TestDatabase::migrated(5);
        const auto csv = db.file("rows.csv");
        std::ofstream(csv) << "user,action,amount,reason\n1,grant,5,a\n2,grant,6,b\n";
        auto r = progress_run({"--db", db.path(), "credits", "import", csv}, true);
        REQUIRE(r.code == 0);
        CHECK(std::regex_search(r.err, std::regex(R"(\rimporting rows: 2, \d+/s, done in \d+\.\ds\x1b\[K\n$)")));
        const auto legacy = TestDatabase::legacy(7);
        r = progress_run({"--db", legacy.path(), "migrate", "packs", "--no-backup"}, true);
        REQUIRE(r.code == 0);
        CHECK(std::regex_search(r.err,
                                std::regex(R"(\rmigrate packs: 7/7 \(100%\), \d+/s, done in \d+\.\ds\x1b\[K\n$)")));
    }

    TEST_CASE("a bar that never advanced draws nothing") {
        std::ostringstream err;
        {
            quicktools::cli::ProgressBar bar(&err, "nothing");
            bar.finish();
        }
        CHECK(err.str().empty());
        quicktools::cli::ProgressBar silent(nullptr, "silent", 10);
        silent.advance(5);
        silent.finish();
    }
}
