#include "quicktools/credits/import.hpp"

#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>

#include <memory>
#include <unordered_set>

#include "import_check.hpp"
#include "quicktools/credits/adjust.hpp"
#include "quicktools/credits/ledger.hpp"
#include "quicktools/util/interrupt.hpp"
#include "quicktools/util/progress.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::credits {
namespace {

void check_all(db::Database& db, const std::vector<util::CsvRecord>& records, const detail::Columns& columns,
               const ImportOptions& options, ImportResult& result) {
    detail::RowChecker checker(db, columns);
    util::Progress progress("checking rows", static_cast<std::int64_t>(records.size()) - 1, options.show_progress);
    for (std::size_t i = 1; i < records.size(); ++i) {
        util::throw_if_interrupted();
        checker.check(records[i], result);
        progress.update(static_cast<std::int64_t>(i));
    }
    progress.finish();
}

void apply_all(db::Database& db, const ImportOptions& options, ImportResult& result) {
    AdjustmentWriter writer(db);
    const std::string now = util::now_timestamp();
    util::Progress progress("applying rows", result.totals.applied, options.show_progress);
    std::int64_t done = 0;
    for (auto& row : result.rows) {
        if (row.status != RowStatus::apply) continue;
        util::throw_if_interrupted();
        const auto entry = writer.write(row.user_id, row.action, row.amount, row.reason, row.key, options.actor,
                                        fmt::format("import:{}:{}", options.source_name, row.line), now);
        row.ledger_id = entry.id;
        if (entry.balance_after != row.balance_after)  // the checks and the writes disagree: never commit that
            throw Error(fmt::format("line {}: the balance of user {} came out as {} instead of the {} checked; "
                                    "nothing was changed (please report this)",
                                    row.line, row.user_id, entry.balance_after, row.balance_after));
        progress.update(++done);
    }
    progress.finish();
}

void add_totals(ImportResult& result) {
    auto& t = result.totals;
    std::unordered_set<std::int64_t> users;
    t.rows = static_cast<std::int64_t>(result.rows.size() + result.errors.size());
    for (const auto& row : result.rows) {
        if (row.status != RowStatus::apply) {
            ++t.skipped;
            continue;
        }
        ++t.applied;
        users.insert(row.user_id);
        (row.action == Action::grant ? t.granted : row.action == Action::refund ? t.refunded : t.debited) += row.amount;
    }
    t.users = static_cast<std::int64_t>(users.size());
}

}  // namespace

std::string_view to_string(RowStatus status) {
    switch (status) {
        case RowStatus::apply: return "apply";
        case RowStatus::replayed: return "replayed";
        case RowStatus::duplicate: return "duplicate";
    }
    return "apply";
}

ImportResult import_csv(db::Database& db, std::string_view text, const ImportOptions& options) {
    const auto records = util::parse_csv(text);
    if (records.empty())
        throw usage_error(fmt::format("{} is empty: an import starts with the header line {}", options.source_name,
                                      import_header));
    const auto columns = detail::read_header(records.front(), options.source_name);
    require_tool_tables(db);

    ImportResult result;
    // The checks and the writes see the same database: a dry run reads in one snapshot, a real
    // run checks inside the write transaction it then commits.
    std::unique_ptr<db::WriteTransaction> write;
    std::unique_ptr<SQLite::Transaction> read;
    if (options.dry_run == db::DryRun::no)
        write = std::make_unique<db::WriteTransaction>(db);
    else
        read = std::make_unique<SQLite::Transaction>(db.sql());
    check_all(db, records, columns, options, result);
    add_totals(result);
    if (!result.errors.empty() || options.dry_run == db::DryRun::yes) return result;
    apply_all(db, options, result);
    write->commit();
    result.committed = true;
    return result;
}

}  // namespace quicktools::credits
