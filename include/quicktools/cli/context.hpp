#pragma once
// What every command shares: the global options, the database it opens, and where its output
// goes. A Context is made over the process's standard streams (Context::standard, in main) or
// over any streams (tests: std::ostringstream), so a command runs the same in both.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <iosfwd>
#include <string>

#include "quicktools/cli/progress.hpp"
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

// Whether a result is worth printing under --quiet.
enum class Output {
    essential,     // the result itself: printed even with --quiet
    confirmation,  // only says the work was done: left out with --quiet
};

class Context {
public:
    // Over stdin, stdout and stderr; the terminal flags and width from the file descriptors.
    static Context standard();
    // Over the given streams, none of them a terminal (set the flags to say otherwise).
    Context(std::istream& in, std::ostream& out, std::ostream& err);

    std::istream& in;
    std::ostream& out;
    std::ostream& err;
    // The descriptor behind `in` when it is the process's stdin (to wait on), else -1.
    int in_fd = -1;
    bool stdin_terminal = false;
    bool stdout_terminal = false;
    bool stderr_terminal = false;
    // Columns of the terminal on stdout; 0 when not known ($COLUMNS, else 80).
    int columns = 0;

    GlobalOptions options;
    ExitCode exit_code = ExitCode::ok;

    // Opens the database named by --db / QUICKTOOLS_DB; never creates it.
    db::Database open(db::Access access) const;

    // Prints a command's result: the JSON document with --json, else the text (unless --quiet
    // and the text is only a confirmation).
    void emit(const nlohmann::json& document, const std::string& text, Output kind = Output::essential) const;

    // A diagnostic on stderr, hidden by --quiet.
    void note(const std::string& message) const;
    // A detail on stderr shown only with --verbose.
    void detail(const std::string& message) const;
    // "quicktools: MESSAGE" on stderr (escaped: it may quote a value from the database or a
    // file), and with --json the error document on stdout.
    void error(ExitCode code, const std::string& message) const;

    // The progress of long work, drawn on stderr when it is a terminal and not --quiet.
    ProgressBar progress(const std::string& label, std::int64_t total = 0) const;

    // ANSI colours only on a terminal, and never with NO_COLOR or --no-color.
    bool colour() const;
    // The width to draw for: the terminal's, else $COLUMNS, else 80.
    int width() const;
};

}  // namespace quicktools::cli
