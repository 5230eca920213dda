// PLACEHOLDER until the PostgreSQL engine lands: the pg branch replaces this file. It must define
// (declared in include/quicktools/db/engines.hpp):
//
//   std::unique_ptr<Connection> open_postgres(const OpenOptions& options);
//   Error translate_postgres(const std::exception& e, const std::string& target, int busy_timeout_ms);
#include <fmt/format.h>

#include "quicktools/db/engines.hpp"

namespace quicktools::db {

std::unique_ptr<Connection> open_postgres(const OpenOptions& options) {
    (void)options;
    throw Error("PostgreSQL support is not built yet");
}

Error translate_postgres(const std::exception& e, const std::string& target, int) {
    return Error(fmt::format("{}: {}", target, e.what()));
}

}  // namespace quicktools::db
