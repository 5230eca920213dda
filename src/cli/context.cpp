#include "quicktools/cli/context.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

namespace quicktools::cli {

db::Database Context::open(db::Access access) const {
    return db::Database::open_existing({options.db_path, options.busy_timeout_ms, access});
}

void Context::emit(const nlohmann::json& document, const std::string& text, bool essential) const {
    if (options.json) {
        std::cout << document.dump(2) << '\n';
        return;
    }
    if (options.quiet && !essential) return;
    std::cout << text;
    if (!text.empty() && text.back() != '\n') std::cout << '\n';
    std::cout.flush();
}

void Context::note(const std::string& message) const {
    if (!options.quiet) std::cerr << message << '\n';
}

void Context::detail(const std::string& message) const {
    if (options.verbose > 0 && !options.quiet) std::cerr << message << '\n';
}

bool Context::stderr_is_terminal() const { return ::isatty(STDERR_FILENO) == 1; }

bool Context::colour() const {
    const char* no_color = std::getenv("NO_COLOR");
    return !options.no_color && (no_color == nullptr || *no_color == '\0') && ::isatty(STDOUT_FILENO) == 1;
}

}  // namespace quicktools::cli
