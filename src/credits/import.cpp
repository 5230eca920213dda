#include "quicktools/credits/import.hpp"

#include <fmt/format.h>

#include <cstring>
#include <memory>
#include <optional>
#include <unordered_set>

#include "import_check.hpp"
#include "quicktools/credits/adjust.hpp"
#include "quicktools/credits/ledger.hpp"
#include "quicktools/util/interrupt.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::credits {
namespace {

void count(const ImportRow& row, ImportTotals& totals, std::unordered_set<std::int64_t>& users) {
    if (row.status != RowStatus::apply) {
        ++totals.skipped;
        return;
    }
    ++totals.applied;
    users.insert(row.user_id);
    (row.action == Action::grant    ? totals.granted
     : row.action == Action::refund ? totals.refunded
                                    : totals.debited) += row.amount;
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

ImportResult import_csv(db::Database& db, util::CsvReader& reader, const ImportOptions& options) {
    util::CsvRecord record;
    if (!reader.next(record))
        throw usage_error(
            fmt::format("{} is empty: an import starts with the header line {}", options.source_name, import_header));
    const auto columns = detail::read_header(record, options.source_name);
    require_tool_tables(db);

    // Before any transaction: the checker creates its temporary table of the file's keys, which
    // a read-only snapshot may not do.
    detail::RowChecker checker(
        db, columns,
        options.dry_run == DryRun::no ? detail::RowChecker::RowLocks::yes : detail::RowChecker::RowLocks::no);
    // The checks and the writes see the same database: a dry run reads in one snapshot, a real
    // run checks inside the write transaction it writes and then commits.
    std::unique_ptr<db::WriteTransaction> write;
    std::unique_ptr<db::ReadTransaction> read;
    std::optional<AdjustmentWriter> writer;
    if (options.dry_run == DryRun::no) {
        write = std::make_unique<db::WriteTransaction>(db);
        writer.emplace(db);
    } else {
        read = std::make_unique<db::ReadTransaction>(db);
    }
    const std::string now = util::now_timestamp();
    ImportResult result;
    std::unordered_set<std::int64_t> users;  // at most the users of the database
    std::string problem;
    while (reader.next(record)) {
        util::throw_if_interrupted();
        ++result.totals.rows;
        auto row = checker.check(record, problem);
        if (!row) {
            if (result.errors.size() < max_errors_listed) result.errors.push_back({record.line, problem});
            ++result.bad_rows;
            continue;
        }
        count(*row, result.totals, users);
        // Once a row is bad nothing will be committed: the rest are checked, not written.
        if (writer && result.bad_rows == 0 && row->status == RowStatus::apply) {
            const auto entry =
                writer->write(row->user_id, row->action, row->amount, row->reason, row->key, options.actor,
                              fmt::format("import:{}:{}", options.source_name, row->line), now);
            row->ledger_id = entry.id;
            if (entry.balance_after != row->balance_after)  // the checks and the writes disagree: never commit that
                throw Error(
                    fmt::format("line {}: the balance of user {} came out as {} instead of the {} checked; "
                                "nothing was changed (please report this)",
                                row->line, row->user_id, entry.balance_after, row->balance_after));
        }
        if (options.keep_rows == ImportOptions::KeepRows::yes) result.rows.push_back(std::move(*row));
        if (options.progress) options.progress(result.totals.rows, 0);
    }
    result.totals.users = static_cast<std::int64_t>(users.size());
    if (result.bad_rows > 0 || options.dry_run == DryRun::yes) return result;
    write->commit();
    result.committed = true;
    return result;
}

ImportResult import_csv(db::Database& db, std::string_view text, const ImportOptions& options) {
    util::CsvReader reader([&text](char* buffer, std::size_t size) {
        const std::size_t n = std::min(size, text.size());
        std::memcpy(buffer, text.data(), n);
        text.remove_prefix(n);
        return n;
    });
    return import_csv(db, reader, options);
}

}  // namespace quicktools::credits
