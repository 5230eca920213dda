// libFuzzer target: the CSV reader and the row checks of `credits import` (dry run) against an
// in-memory database with three users.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "quicktools/credits/import.hpp"
#include "quicktools/db/database.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/error.hpp"
#include "quicktools/util/csv.hpp"

namespace {

quicktools::db::Database& database() {
    static auto db = [] {
        auto d = quicktools::db::Database::in_memory();
        quicktools::db::initialise(d, "fuzz");
        for (const char* email : {"a@x.com", "b@x.com", "''; DROP TABLE users; --@x.com"})  // SQL-quoted
            d.sql().exec(std::string("INSERT INTO users (email, hashed_password, is_active, created_at) VALUES ('") +
                         email + "', 'h', 1, '2026-01-01 00:00:00.000000')");
        return d;
    }();
    return db;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace quicktools;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)util::parse_csv(text);
    credits::ImportOptions options;
    options.source_name = "fuzz.csv";
    options.actor = "fuzz";
    options.dry_run = db::DryRun::yes;
    try {
        (void)credits::import_csv(database(), text, options);
    } catch (const Error&) {
        // not an import file at all: the one-sentence usage error
    }
    return 0;
}
