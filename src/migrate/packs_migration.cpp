#include "quicktools/migrate/packs_migration.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>

#include <algorithm>
#include <functional>
#include <tuple>

#include "policy_functions.hpp"
#include "quicktools/db/backup.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/util/interrupt.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::migrate {
namespace {

// Users per statement: small enough for smooth progress, large enough to cost nothing. On
// PostgreSQL a statement over an id range reads it through the primary key, and one over the
// whole table reads it in order: at 1M users the policy's UPDATE took 9.1-9.6 s in ten ranges
// and 7.2-7.4 s in one, so its ranges are ten times larger (progress every few seconds).
std::int64_t chunk_ids(db::Engine engine) { return engine == db::Engine::postgres ? 1'000'000 : 100'000; }

// The engine's text of a statement of sql/queries/migrate.sql.
struct MigrateQueries {
    db::Engine engine;
    const std::string& operator()(std::string_view name) const { return sql::query(engine, "migrate", name); }
};

// Which way a database goes, from its schema and history (read before any upgrade).
Mode decide_mode(const db::SchemaStatus& status) {
    if (status.detected.state == db::SchemaState::legacy) return Mode::convert;
    if (status.detected.state == db::SchemaState::final) return Mode::adopt;
    // credit-packs: converted by the tool's own `db upgrade` (columns at their defaults, to be
    // filled in now) or found already in place, as an earlier script left them.
    for (const auto& row : status.history)
        if (row.version == db::credit_pack_columns_version) return row.kind == "applied" ? Mode::convert : Mode::adopt;
    return Mode::adopt;
}

void refuse_unknown_tiers(db::Database& db, const Policy& policy) {
    const MigrateQueries q{db.engine()};
    db::Statement unknown(db, q("unknown_tiers"));
    std::vector<std::string> found;
    while (unknown.step())
        found.push_back(fmt::format("'{}' ({} users)", unknown.column("tier").text(), unknown.column("users").int64()));
    if (!found.empty())
        throw refusal(
            fmt::format("refusing to migrate {}: subscription tier {} is not one the policy '{}' covers "
                        "(free, basic, pro, business); fix those users first",
                        db.path(), fmt::join(found, ", "), policy.name));
}

void create_views(db::Database& db, db::SchemaState state, Mode mode) {
    const MigrateQueries q{db.engine()};
    if (state == db::SchemaState::legacy)
        db.execute(q("source_legacy"));
    else if (state == db::SchemaState::final)
        db.execute(q("source_final"));
    else
        db.execute(q("source_credit_packs"));
    db.execute(q(mode == Mode::adopt ? "plan_adopt" : "plan_convert"));
}

void read_plan(db::Database& db, MigrateResult& result, std::size_t limit) {
    const MigrateQueries q{db.engine()};
    db::Statement breakdown(db, q("breakdown_plan"));
    while (breakdown.step()) result.by_tier_status.push_back(breakdown_row(breakdown));
    result.by_tier = per_tier(result.by_tier_status);
    db::Statement totals(db, q("totals_plan"));
    if (totals.step()) result.totals = totals_row(totals);
    result.billing_count = billing_count(result.by_tier_status);
    db::Statement billing(db, q("billing_plan"));
    billing.bind(1, static_cast<std::int64_t>(limit));
    while (billing.step()) result.billing.push_back(billing_row(billing));
}

// How one id range is done.
enum class Steps {
    record,             // adopt: record the values as they are
    record_then_apply,  // convert: record the old and new values, then set the new ones
    apply_then_record,  // convert, the credit columns added by this run: set, then record what was set
};

// Runs one chunk's statement; a tier the policy does not cover becomes the refusal that lists them all.
std::int64_t run_chunk(db::Statement& statement, std::int64_t from, std::int64_t to, db::Database& db,
                       PolicyFunctions& functions, const Policy& policy) {
    statement.bind(":from", from);
    statement.bind(":to", to);
    std::int64_t changed = 0;
    try {
        changed = statement.exec();
    } catch (const db::EngineError& e) {
        statement.reset();
        functions.note_failure(e);
        if (functions.met_uncovered_tier()) refuse_unknown_tiers(db, policy);
        if (functions.refusal()) throw refusal(*functions.refusal());
        throw;
    }
    statement.reset();
    return changed;
}

// Records every user and sets the new values, one id range at a time; returns the breakdown of
// what it recorded. Throws (exit 4) if a user's tier is not in the policy.
// How the users are split into transactions. `resume`: an earlier run committed batches, so users
// already recorded are skipped; `next_batch` commits the current transaction and begins the next
// (with --batch).
struct Batching {
    bool resume = false;
    std::int64_t batch = 0;
    std::function<void()> next_batch;
};

std::vector<Breakdown> convert_users(db::Database& db, const MigrateOptions& options, PolicyFunctions& functions,
                                     const std::string& policy_name, Steps steps, const std::string& now,
                                     const Batching& batching) {
    const MigrateQueries q{db.engine()};
    db::Statement range(db, q("id_range"));
    range.step();
    const std::int64_t first = range.column("first_id").int64();
    const std::int64_t last = range.column("last_id").int64();
    const std::int64_t count = range.column("users").int64();
    range.reset();

    db::Statement ledger_rows(db, q("ledger_rows"));
    ledger_rows.step();
    const bool has_ledger = ledger_rows.column("has_ledger").int64() != 0;
    // record_applied counts on an empty ledger, as a ledger created along with the columns is, and
    // on columns no app wrote since they were added (so not after a batch was committed).
    const bool rest = batching.resume || batching.batch > 0;
    if (steps == Steps::apply_then_record && (has_ledger || rest)) steps = Steps::record_then_apply;
    db::Statement record(db, q(steps == Steps::apply_then_record ? "record_applied"
                               : rest                            ? "record_users_rest"
                                                                 : "record_users"));
    if (steps != Steps::apply_then_record) record.bind(":has_ledger", has_ledger ? 1 : 0);
    record.bind(":policy", policy_name);
    record.bind(":now", now);
    // Only a conversion sets values (and only its schema still has the tier column it reads).
    std::optional<db::Statement> apply;
    if (steps != Steps::record) {
        apply.emplace(db, q(rest ? "apply_users_rest" : "apply_users"));
        if (rest) apply->bind(":now", now);
    }
    if (steps != Steps::record && functions.check_tiers_first()) refuse_unknown_tiers(db, options.policy);
    // Ids per statement; a batch is a number of users, taken as that many ids (ids are dense).
    const std::int64_t step = batching.batch > 0 ? batching.batch : chunk_ids(db.engine());
    std::int64_t done = 0;
    for (std::int64_t from = first; count > 0 && from <= last; from += step) {
        util::throw_if_interrupted();
        const std::int64_t to = std::min(from + step, last + 1);
        if (steps == Steps::apply_then_record) run_chunk(*apply, from, to, db, functions, options.policy);
        done += run_chunk(record, from, to, db, functions, options.policy);
        if (steps == Steps::record_then_apply) run_chunk(*apply, from, to, db, functions, options.policy);
        if (batching.batch > 0 && to <= last) batching.next_batch();
        if (options.progress) options.progress(done, count);
    }
    if (rest) {
        // Every user of the id range is recorded now, by this run or an earlier one.
        db::Statement recorded(db, q("recorded_users"));
        recorded.step();
        if (recorded.column("users").int64() < count)
            throw Error(fmt::format("migrated {} of {} users; the rest was not changed", done, count));
        return recorded_breakdown(db);
    }
    if (done != count) throw Error(fmt::format("migrated {} of {} users; nothing was changed", done, count));
    std::vector<Breakdown> sums = functions.breakdown();
    std::sort(sums.begin(), sums.end(), [](const Breakdown& a, const Breakdown& b) {
        return std::tie(a.tier, a.status) < std::tie(b.tier, b.status);
    });
    return sums;
}

void write_completion(db::Database& db, const Completion& c) {
    db::Statement put(db, sql::query(db.engine(), "migrate", "state_write"));
    const std::pair<const char*, std::string> values[] = {{"migrate.packs.completed_at", c.completed_at},
                                                          {"migrate.packs.completed_by", c.completed_by},
                                                          {"migrate.packs.users", std::to_string(c.users)},
                                                          {"migrate.packs.policy", c.policy},
                                                          {"migrate.packs.mode", c.mode}};
    for (const auto& [name, value] : values) {
        put.bind(1, name);
        put.bind(2, value);
        put.bind(3, c.completed_at);
        put.exec();
        put.reset();
    }
}

void refuse_existing_backup(const std::optional<std::string>& path) {
    struct stat st {};
    if (path && ::lstat(path->c_str(), &st) == 0)
        throw refusal(fmt::format("{} already exists; choose another --backup path (nothing was changed)", *path));
}

// With --batch: one migration at a time for the whole run, not per batch (PostgreSQL: a
// session-level advisory lock, waited for up to the busy timeout; SQLite: nothing). Taken outside
// any transaction and released when the run ends, after its last transaction has ended; if the
// release fails (the connection is lost), the session ending releases it.
class MigrationRunLock {
public:
    explicit MigrationRunLock(db::Database& db) : m_db(db) {
        db::Statement lock(db, sql::query(db.engine(), "migrate", "migration_run_lock"));
        lock.step();
    }
    ~MigrationRunLock() {
        try {
            db::Statement unlock(m_db, sql::query(m_db.engine(), "migrate", "migration_run_unlock"));
            unlock.step();
        } catch (...) {
            // The session's end releases it then.
        }
    }
    MigrationRunLock(const MigrationRunLock&) = delete;
    MigrationRunLock& operator=(const MigrationRunLock&) = delete;

private:
    db::Database& m_db;
};

}  // namespace

MigrateResult migrate_packs(db::Database& db, const MigrateOptions& options) {
    MigrateResult result;
    result.dry_run = options.dry_run == DryRun::yes;
    // A dry run reads one snapshot; a real run holds the write lock from the first look to the
    // commit, so the web app's writes land entirely before or entirely after.
    const MigrateQueries q{db.engine()};
    // One migration at a time: with --batch for the whole run, before its first transaction (so
    // no other run starts between two batches); else for the one transaction. Declared before
    // the transactions, so released after they end.
    std::optional<MigrationRunLock> run_lock;
    if (!result.dry_run && options.batch > 0) run_lock.emplace(db);
    std::optional<db::WriteTransaction> tx;
    std::optional<db::ReadTransaction> read;
    if (result.dry_run)
        read.emplace(db);
    else
        tx.emplace(db);
    if (!result.dry_run && !run_lock) {
        // PostgreSQL: a transaction-level advisory lock, waited for up to the busy timeout.
        db::Statement lock(db, q("migration_lock"));
        lock.step();
    }
    db.execute(q("drop_temp"));
    PolicyFunctions functions(db, options.policy);
    if (!result.dry_run && options.backup_path && !read_completion(db)) {
        refuse_existing_backup(options.backup_path);
        // Under the write lock, after the checks that would refuse anyway: the copy is exactly
        // the database this migration starts from, with no app write in between.
        const auto detected = db::detect_state(db);
        if (detected.state == db::SchemaState::unknown)
            throw refusal(fmt::format("refusing to migrate {}: {}", db.path(), detected.explanation));
        if (decide_mode(db::schema_status(db)) == Mode::convert) refuse_unknown_tiers(db, options.policy);
        const auto backup = db::backup_to(db, *options.backup_path);
        result.backup_path = backup.path;
        result.backup_bytes = backup.bytes;
    }

    const db::SchemaStatus status = db::schema_status(db);
    result.state_before = status.detected.state;
    if (status.detected.state == db::SchemaState::unknown)
        throw refusal(fmt::format("refusing to migrate {}: {}", db.path(), status.detected.explanation));
    if (auto done = read_completion(db)) {
        result.already_done = true;
        result.completion = done;
        result.mode = done->mode == "adopt" ? Mode::adopt : Mode::convert;
        result.policy = done->policy;
        result.totals = current_totals(db);
        result.by_tier_status = recorded_breakdown(db);
        result.by_tier = per_tier(result.by_tier_status);
        result.billing_count = billing_count(result.by_tier_status);
        result.billing = recorded_billing(db, options.billing_list_limit);
        return result;
    }
    result.mode = decide_mode(status);
    result.policy = result.mode == Mode::adopt ? "adopted" : options.policy.name;
    for (int v : status.pending)
        if (!db::migration(v, db.engine()).needs_own_command) result.schema_applied.push_back(v);

    if (result.dry_run) {
        if (result.mode == Mode::convert) refuse_unknown_tiers(db, options.policy);
        create_views(db, status.detected.state, result.mode);
        try {
            read_plan(db, result, options.billing_list_limit);
        } catch (const db::EngineError& e) {
            functions.note_failure(e);
            if (functions.refusal()) throw refusal(*functions.refusal());
            throw;
        }
        return result;
    }
    db.execute(q("cache_for_bulk_work"));
    db::upgrade_in_transaction(db, options.actor);
    create_views(db, db::detect_state(db).state, result.mode);
    Completion completion{util::now_timestamp(), options.actor, 0, result.policy, std::string(to_string(result.mode))};
    // The credit columns this run added hold their defaults; anything else holds values the web
    // app may have changed since, which the record must keep as the old values.
    const Steps steps = result.mode == Mode::adopt                       ? Steps::record
                        : result.state_before == db::SchemaState::legacy ? Steps::apply_then_record
                                                                         : Steps::record_then_apply;
    Batching batching;
    batching.batch = options.batch;
    // Batches an earlier run committed (with --batch) before it stopped.
    {
        db::Statement recorded(db, q("recorded_users"));
        batching.resume = recorded.step() && recorded.column("users").int64() > 0;
    }
    bool committed = false;  // a batch of this run
    batching.next_batch = [&] {
        tx->commit();
        committed = true;
        tx.reset();
        tx.emplace(db);  // still under run_lock: no other migration got in between
    };
    try {
        result.by_tier_status =
            convert_users(db, options, functions, result.policy, steps, completion.completed_at, batching);
    } catch (const std::exception&) {
        // "Nothing changed" is no longer true once a batch was committed.
        if (committed && util::interrupted())
            throw Error(ExitCode::interrupted,
                        fmt::format("interrupted: the batch in progress was rolled back; the batches committed "
                                    "before stay migrated. Run `quicktools migrate packs` again to finish"));
        throw;
    }
    result.by_tier = per_tier(result.by_tier_status);
    // Every user is recorded now, so the breakdown's sums are the totals of users.
    for (const auto& t : result.by_tier) {
        result.totals.users += t.users;
        result.totals.credits += t.credits;
        result.totals.api_users += t.api_access;
    }
    completion.users = result.totals.users;
    write_completion(db, completion);
    result.completion = completion;
    result.billing_count = billing_count(result.by_tier_status);
    result.billing = recorded_billing(db, options.billing_list_limit);
    db.execute(q("drop_temp"));
    tx->commit();
    return result;
}

}  // namespace quicktools::migrate
