#pragma once
// Many adjustments from a CSV file: every row checked first, then all applied in one
// transaction, or none.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quicktools/credits/request.hpp"
#include "quicktools/db/database.hpp"
#include "quicktools/db/migrations.hpp"

namespace quicktools::credits {

// The columns, by header name, in any order; idempotency_key may be left out.
inline constexpr std::string_view import_header = "user,action,amount,reason,idempotency_key";

struct ImportOptions {
    std::string source_name;  // the file as named, or "stdin"; recorded in each entry's source
    std::string actor;
    db::DryRun dry_run = db::DryRun::no;
    bool show_progress = false;  // progress on stderr (only on a terminal)
};

enum class RowStatus {
    apply,      // applies now
    replayed,   // its idempotency key is in the ledger already, for the same request
    duplicate,  // the same key and request appear on an earlier line of the file
};
std::string_view to_string(RowStatus status);

struct ImportRow {
    int line = 0;
    std::int64_t user_id = 0;
    std::string email;
    Action action = Action::grant;
    std::int64_t amount = 0;
    std::string reason;
    std::optional<std::string> key;
    RowStatus status = RowStatus::apply;
    int same_as_line = 0;              // for duplicate
    std::int64_t ledger_id = 0;        // the entry written (0 in a dry run), or the original one
    std::int64_t balance_before = 0;   // for apply: the balance just before this row
    std::int64_t balance_after = 0;
};

struct RowError {
    int line = 0;
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
    std::vector<ImportRow> rows;
    std::vector<RowError> errors;  // when not empty, nothing was changed
    ImportTotals totals;
    bool committed = false;
};

// Checks every row of the CSV text and, when all are good and this is no dry run, applies them
// in one transaction. Bad rows come back in `errors` (one per line). Throws usage_error for a
// file that is no import at all (empty, bad header), and Error for a locked database.
ImportResult import_csv(db::Database& db, std::string_view text, const ImportOptions& options);

}  // namespace quicktools::credits
