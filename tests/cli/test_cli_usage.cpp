// Usage errors, --help and the global options, in-process: a command-line mistake exits 2 with
// one line that says what was wrong and which --help to read.
#include <doctest/doctest.h>

#include <regex>
#include <sstream>

#include "cli_fixture.hpp"

using quicktools::testing::Outcome;
using quicktools::testing::run;
using quicktools::testing::TempDir;

namespace {

// The subcommands --help lists for a command path.
std::vector<std::string> usage_subcommands(const std::vector<std::string>& path) {
    auto args = path;
    args.emplace_back("--help");
    const std::string out = run(args).out;
    const auto at = out.find("Subcommands:\n");
    if (at == std::string::npos) return {};
    const auto block = out.substr(at + 13, out.find("\n\n", at) - at - 13);
    std::vector<std::string> names;
    std::istringstream lines(block);
    for (std::string line; std::getline(lines, line);)
        if (line.size() > 2 && line.compare(0, 2, "  ") == 0 && line[2] != ' ')
            names.push_back(line.substr(2, line.find(' ', 2) - 2));
    return names;
}

void usage_visit(const std::vector<std::string>& path, std::vector<std::vector<std::string>>& out) {
    out.push_back(path);
    for (const auto& name : usage_subcommands(path)) {
        auto deeper = path;
        deeper.push_back(name);
        usage_visit(deeper, out);
    }
}

std::string usage_joined(const std::vector<std::string>& path) {
    std::string out;
    for (const auto& p : path) out += (out.empty() ? "" : " ") + p;
    return out;
}

}  // namespace

TEST_SUITE("usage") {
    TEST_CASE("every command and group has an example that names it") {
        std::vector<std::vector<std::string>> paths;
        usage_visit({}, paths);
        for (const auto& path : paths) {
            auto args = path;
            args.emplace_back("--help");
            const Outcome r = run(args);
            INFO(usage_joined(path), "\n", r.out);
            CHECK(r.code == 0);
            CHECK(std::regex_search(r.out, std::regex("(^|\n)Examples?:\n  \\S")));
            const auto examples = r.out.substr(r.out.find("Example"));
            CHECK(examples.find(usage_joined(path)) != std::string::npos);
        }
        CHECK(paths.size() >= 25);  // the program, its groups and their commands
    }

    TEST_CASE("a missing command lists the commands") {
        const auto r = run({"db"});
        CHECK(r.code == 2);
        CHECK(r.err_line() ==
              "quicktools: quicktools db needs a command: init, status, upgrade, verify, backup, "
              "drop-deprecated; run `quicktools db --help` for the options and an example");
        CHECK(r.out.empty());
        CHECK(run({}).code == 2);
    }

    TEST_CASE("an unknown command is named") {
        auto r = run({"db", "frob"});
        CHECK(r.code == 2);
        CHECK(r.err.find("frob is not a command of quicktools db; the commands are init, status") != std::string::npos);
        r = run({"frob"});
        CHECK(r.code == 2);
        CHECK(r.err.find("frob is not a command of quicktools; the commands are db,") != std::string::npos);
    }

    TEST_CASE("an unknown option is one line, and with --json one document") {
        auto r = run({"report", "--frob"});
        CHECK(r.code == 2);
        CHECK(r.err_line() ==
              "quicktools: The following argument was not expected: --frob; run `quicktools report "
              "--help` for the options and an example");
        r = run({"--json", "report", "--frob"});
        CHECK(r.code == 2);
        CHECK(r.json() == nlohmann::json{{"ok", false},
                                         {"exit_code", 2},
                                         {"error",
                                          "The following argument was not expected: --frob; run `quicktools "
                                          "report --help` for the options and an example"}});
    }

    TEST_CASE("a missing argument points at the command's help") {
        const auto r = run({"credits", "grant", "1", "5"});
        CHECK(r.code == 2);
        CHECK(r.err_line() ==
              "quicktools: --reason is required; run `quicktools credits grant --help` for the "
              "options and an example");
    }

    TEST_CASE("a bad value is a usage error") {
        auto r = run({"--busy-timeout", "-5", "db", "status"});
        CHECK(r.code == 2);
        CHECK(r.err_is_one_line());
        CHECK(r.err.find("--busy-timeout") != std::string::npos);
        r = run({"user", "list", "--limit", "abc"});
        CHECK(r.code == 2);
        CHECK(r.err_is_one_line());
        CHECK(r.err.find("run `quicktools user list --help`") != std::string::npos);
        r = run({"completion", "tcsh"});
        CHECK(r.code == 2);
        CHECK(r.err.find("tcsh") != std::string::npos);
    }

    TEST_CASE("--version and --help print on stdout") {
        auto r = run({"--version"});
        CHECK(r.code == 0);
        CHECK(r.out.rfind("quicktools ", 0) == 0);
        r = run({"--help"});
        CHECK(r.code == 0);
        CHECK(r.out.find("db") != std::string::npos);
        r = run({"db", "--help"});
        CHECK(r.code == 0);
        CHECK(r.out.find("verify") != std::string::npos);
        CHECK(r.out.find("backup") != std::string::npos);
        for (const auto& args : std::vector<std::vector<std::string>>{
                 {"migrate", "packs"}, {"user", "show"}, {"user", "list"}, {"packs", "list"}, {"report"}}) {
            auto with_help = args;
            with_help.emplace_back("--help");
            r = run(with_help);
            CHECK(r.code == 0);
            CHECK(r.out.find("Example") != std::string::npos);
        }
    }

    TEST_CASE("a missing database is one line, exit 1, and is not created") {
        TempDir dir;
        const auto path = dir.file("nope.db");
        auto r = run({"--db", path, "db", "status"});
        CHECK(r.code == 1);
        CHECK(r.err_is_one_line());
        CHECK(r.err.find("no database at") != std::string::npos);
        CHECK(r.err.find("db init") != std::string::npos);
        CHECK(!std::filesystem::exists(path));
        r = run({"--db", path, "--json", "db", "status"});
        CHECK(r.code == 1);
        const auto doc = r.json();
        CHECK(doc["ok"] == false);
        CHECK(doc["exit_code"] == 1);
        CHECK(doc["error"].get<std::string>().find("no database") != std::string::npos);
    }

    TEST_CASE("a directory is not a database") {
        TempDir dir;
        const auto r = run({"--db", dir.path().string(), "db", "status"});
        CHECK(r.code == 1);
        CHECK(r.err.find("directory") != std::string::npos);
    }

    TEST_CASE("completion scripts and the man page go to the context's stdout") {
        auto r = run({"completion", "bash"});
        CHECK(r.code == 0);
        CHECK(r.out.find("quicktools") != std::string::npos);
        CHECK(r.err.empty());
        r = run({"manpage"});
        CHECK(r.code == 0);
        CHECK(r.out.find(".SH EXIT STATUS") != std::string::npos);
    }
}
