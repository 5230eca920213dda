#include "quicktools/cli/context.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "quicktools/util/text.hpp"

namespace quicktools::cli {

Context Context::standard() {
    Context ctx(std::cin, std::cout, std::cerr);
    ctx.in_fd = STDIN_FILENO;
    ctx.stdin_terminal = ::isatty(STDIN_FILENO) == 1;
    ctx.stdout_terminal = ::isatty(STDOUT_FILENO) == 1;
    ctx.stderr_terminal = ::isatty(STDERR_FILENO) == 1;
    winsize size{};
    if (ctx.stdout_terminal && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
        ctx.columns = size.ws_col;
    return ctx;
}

Context::Context(std::istream& in_stream, std::ostream& out_stream, std::ostream& err_stream)
    : in(in_stream), out(out_stream), err(err_stream) {}

db::Database Context::open(db::Access access) const {
    return db::Database::open_existing({options.db_path, options.busy_timeout_ms, access});
}

void Context::emit(const nlohmann::json& document, const std::string& text, Output kind) const {
    if (options.json) {
        out << document.dump(2) << '\n';
        return;
    }
    if (options.quiet && kind == Output::confirmation) return;
    out << text;
    if (!text.empty() && text.back() != '\n') out << '\n';
    out.flush();
}

void Context::note(const std::string& message) const {
    if (!options.quiet) err << message << '\n';
}

void Context::detail(const std::string& message) const {
    if (options.verbose > 0 && !options.quiet) err << message << '\n';
}

void Context::error(ExitCode code, const std::string& message) const {
    err << "quicktools: " << util::display(message) << '\n';
    if (options.json)
        out << nlohmann::json{{"ok", false}, {"exit_code", static_cast<int>(code)}, {"error", message}}.dump(2) << '\n';
}

ProgressBar Context::progress(const std::string& label, std::int64_t total) const {
    return ProgressBar(stderr_terminal && !options.quiet ? &err : nullptr, label, total);
}

bool Context::colour() const {
    const char* no_color = std::getenv("NO_COLOR");
    return !options.no_color && (no_color == nullptr || *no_color == '\0') && stdout_terminal;
}

int Context::width() const {
    if (columns > 0) return columns;
    if (const char* env = std::getenv("COLUMNS")) {
        const int n = std::atoi(env);
        if (n > 0) return n;
    }
    return 80;
}

}  // namespace quicktools::cli
