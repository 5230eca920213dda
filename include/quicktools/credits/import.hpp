#pragma once
// Many adjustments from a CSV file, all in one transaction or none: read a row at a time (so
// memory stays flat whatever the file), each row checked and written as it comes, and the
// transaction rolled back if any row is bad.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quicktools/credits/request.hpp"
#include "quicktools/db/database.hpp"
#include "quicktools/db/migrations.hpp"
#include "quicktools/util/csv.hpp"
#include "quicktools/util/progress.hpp"

namespace quicktools::credits {

// The columns, by header name, in any order; idempotency_key may be left out.
inline constexpr std::string_view import_header = "user,action,amount,reason,idempotency_key";

struct ImportOptions {
    std::string source_name;  // the file as named, or "stdin"; recorded in each entry's source
    std::string actor;
    DryRun dry_run = DryRun::no;
    util::ProgressCallback progress;  // told the rows read so far (the total is not known ahead)
    // Whether every row comes back in ImportResult::rows (to be printed); without it only the
    // totals do, and memory does not grow with the number of rows.
    enum class KeepRows { no, yes } keep_rows = KeepRows::yes;
};

// How many bad rows a result lists; the rest are counted (ImportResult::bad_rows).
inline constexpr std::size_t max_errors_listed = 1000;

enum class RowStatus {
    apply,      // applies now
    replayed,   // its idempotency key is in the ledger already, for the same request
    duplicate,  // the same key and request appear on an earlier line of the file
};
std::string_view to_string(RowStatus status);

struct ImportRow {
    std::int64_t line = 0;
    std::int64_t user_id = 0;
    std::string email;
    Action action = Action::grant;
    std::int64_t amount = 0;
    std::string reason;
    std::optional<std::string> key;
    RowStatus status = RowStatus::apply;
    std::int64_t same_as_line = 0;    // for duplicate
    std::int64_t ledger_id = 0;       // the entry written (0 in a dry run), or the original one
    std::int64_t balance_before = 0;  // for apply: the balance just before this row
    std::int64_t balance_after = 0;
};

struct RowError {
    std::int64_t line = 0;
    std::string message;
};

struct ImportTotals {
    std::int64_t rows = 0;
    std::int64_t applied = 0;  // rows that apply (or would, in a dry run)
    std::int64_t skipped = 0;  // replayed or duplicate rows
    std::int64_t users = 0;    // distinct users the applied rows touch
    std::int64_t granted = 0;
    std::int64_t refunded = 0;
    std::int64_t debited = 0;
};

struct ImportResult {
    std::vector<ImportRow> rows;   // with KeepRows::yes
    std::vector<RowError> errors;  // the first max_errors_listed bad rows
    std::int64_t bad_rows = 0;     // all of them: when not 0, nothing was changed
    ImportTotals totals;
    bool committed = false;
};

// Reads every record of `reader`: the header, then each row, checked against the database and
// the rows before it. In a real run each good row is written as it comes, inside one write
// transaction that commits only when every row was good; after the first bad row the rest are
// still checked (and listed), not written. Throws usage_error for a file that is no import at
// all (empty, bad header), and Error for a locked database or a read error (nothing changed).
ImportResult import_csv(db::Database& db, util::CsvReader& reader, const ImportOptions& options);

// The same over CSV text in memory.
ImportResult import_csv(db::Database& db, std::string_view text, const ImportOptions& options);

}  // namespace quicktools::credits
