// libFuzzer target: the streamed CSV reader and the row checks of `credits import` (dry run)
// against an in-memory database with three users. Byte 0 picks the chunk size the reader is fed
// and whether small limits apply (so the field, record and field-count limits are reached); the
// records must not depend on the chunk size, and never hold more than the limits allow.
#include <algorithm>
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
            d.execute(std::string("INSERT INTO users (email, hashed_password, is_active, created_at) VALUES ('") +
                      email + "', 'h', 1, '2026-01-01 00:00:00.000000')");
        return d;
    }();
    return db;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace quicktools;
    if (size == 0) return 0;
    const std::size_t chunk = std::size_t{1} + data[0] % 32;
    util::CsvLimits limits;
    if ((data[0] & 0x80) != 0) limits = {16, 40, 4};
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

    const auto whole = util::parse_csv(text, limits);
    std::string_view rest = text;
    util::CsvReader reader(
        [&](char* buffer, std::size_t room) {
            const std::size_t n = std::min({room, chunk, rest.size()});
            rest.copy(buffer, n);
            rest.remove_prefix(n);
            return n;
        },
        limits);
    util::CsvRecord record;
    std::size_t i = 0;
    while (reader.next(record)) {
        if (i >= whole.size() || record.fields != whole[i].fields || record.error != whole[i].error ||
            record.line != whole[i].line)
            __builtin_trap();  // the records depend on how the input was cut
        std::size_t bytes = 0;
        for (const auto& f : record.fields) {
            if (f.size() > limits.max_field_bytes) __builtin_trap();
            bytes += f.size();
        }
        if (record.fields.size() > limits.max_fields || bytes > limits.max_record_bytes) __builtin_trap();
        ++i;
    }
    if (i != whole.size()) __builtin_trap();

    credits::ImportOptions options;
    options.source_name = "fuzz.csv";
    options.actor = "fuzz";
    options.dry_run = DryRun::yes;
    try {
        (void)credits::import_csv(database(), text, options);
    } catch (const Error&) {
        // not an import file at all: the one-sentence usage error
    }
    return 0;
}
