#pragma once
// What every command shares: the global options, the database it opens, and where output goes.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "quicktools/db/database.hpp"
#include "quicktools/error.hpp"

namespace quicktools::cli {

struct GlobalOptions {
    std::string db_path = "quicktools.db";
    bool json = false;
    bool quiet = false;
    int verbose = 0;
    int busy_timeout_ms = 5000;
    bool no_color = false;
};

class Context {
public:
    GlobalOptions options;
    ExitCode exit_code = ExitCode::ok;

    // Opens the database named by --db / QUICKTOOLS_DB; never creates it.
    db::Database open(db::Access access) const;

    // Prints a command's result: the JSON document with --json, else the text (unless --quiet
    // and the text is only a confirmation).
    void emit(const nlohmann::json& document, const std::string& text, bool essential = true) const;

    // A diagnostic on stderr, hidden by --quiet.
    void note(const std::string& message) const;
    // A detail on stderr shown only with --verbose.
    void detail(const std::string& message) const;

    bool stderr_is_terminal() const;
    // ANSI colours only on a terminal, and never with NO_COLOR or --no-color.
    bool colour() const;
};

}  // namespace quicktools::cli
