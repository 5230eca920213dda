#include "quicktools/db/migrations.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "quicktools/db/sql_files.hpp"
#include "quicktools/util/crypto.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::db {
namespace {

std::vector<Migration> load_migrations(Engine engine) {
    std::vector<Migration> out;
    const std::string prefix = std::string(to_string(engine)) + "/migrations/";
    for (const auto& f : sql::embedded_files()) {
        if (f.path.substr(0, prefix.size()) != prefix) continue;
        std::string_view file_name = f.path.substr(prefix.size());  // NNN_name.sql
        Migration m;
        m.version = std::atoi(std::string(file_name.substr(0, 3)).c_str());
        m.name = std::string(file_name.substr(4, file_name.size() - 4 - 4));
        m.sql = f.text;
        m.checksum = util::sha256_hex(f.text);
        m.needs_own_command = m.version == drop_deprecated_version;
        out.push_back(std::move(m));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
    return out;
}

std::vector<HistoryRow> read_history(Database& db) {
    std::vector<HistoryRow> out;
    Statement q(db, sql::query(db.engine(), "history", "select_all"));
    while (q.step())
        out.push_back({q.column("version").int32(), q.column("name").text(), q.column("checksum").text(),
                       q.column("kind").text(), q.column("applied_at").text(), q.column("applied_by").text()});
    return out;
}

bool contains(const std::vector<int>& versions, int v) {
    return std::find(versions.begin(), versions.end(), v) != versions.end();
}

}  // namespace

const std::vector<Migration>& migrations(Engine engine) {
    static const std::vector<Migration> sqlite = load_migrations(Engine::sqlite);
    static const std::vector<Migration> postgres = load_migrations(Engine::postgres);
    return engine == Engine::sqlite ? sqlite : postgres;
}

const Migration& migration(int version, Engine engine) {
    for (const auto& m : migrations(engine))
        if (m.version == version) return m;
    throw std::logic_error(fmt::format("no {} migration {}", to_string(engine), version));
}

std::vector<int> versions_in_place(const StateDetection& detected) {
    std::vector<int> out;
    switch (detected.state) {
        case SchemaState::legacy: out = {legacy_schema_version}; break;
        case SchemaState::credit_packs: out = {legacy_schema_version, credit_pack_columns_version}; break;
        case SchemaState::final:
            out = {legacy_schema_version, credit_pack_columns_version, drop_deprecated_version};
            break;
        case SchemaState::unknown: return out;
    }
    if (detected.has_tool_tables) out.push_back(tool_tables_version);
    std::sort(out.begin(), out.end());
    return out;
}

SchemaStatus schema_status(Database& db) {
    SchemaStatus status;
    status.detected = detect_state(db);
    status.has_history = db.has_table(std::string(history_table));
    std::vector<int> done;
    if (status.has_history) {
        status.history = read_history(db);
        for (const auto& row : status.history) {
            done.push_back(row.version);
            for (const auto& m : migrations(db.engine()))
                if (m.version == row.version && m.checksum != row.checksum)
                    status.edited.push_back({m.version, m.name, row.checksum, m.checksum});
        }
    } else {
        status.baseline = versions_in_place(status.detected);
        done = status.baseline;
    }
    for (const auto& m : migrations(db.engine()))
        if (!contains(done, m.version)) status.pending.push_back(m.version);
    return status;
}

void record(Database& db, const Migration& m, std::string_view kind, const std::string& actor) {
    Statement insert(db, sql::query(db.engine(), "history", "insert"));
    insert.bind(1, m.version);
    insert.bind(2, m.name);
    insert.bind(3, m.checksum);
    insert.bind(4, std::string(kind));
    insert.bind(5, util::now_timestamp());
    insert.bind(6, actor);
    insert.exec();
}

void apply_and_record(Database& db, const Migration& m, const std::string& actor) {
    db.execute(m.sql);
    record(db, m, "applied", actor);
}

namespace {

// upgrade() without its own transaction: the caller holds the write lock (or reads, for a dry run).
UpgradeResult upgrade_locked(Database& db, DryRun dry_run, const std::string& actor) {
    if (dry_run == DryRun::no) {
        // One schema change at a time: on PostgreSQL an advisory lock until the commit, so a
        // second upgrade waits (up to the lock timeout) and then finds the work done; on SQLite
        // the write lock is that already.
        Statement lock(db, sql::query(db.engine(), "history", "lock"));
        lock.exec();
    }
    const SchemaStatus status = schema_status(db);
    UpgradeResult result;
    result.state_before = status.detected.state;
    if (status.detected.state == SchemaState::unknown)
        throw refusal(fmt::format("refusing to upgrade {}: {}", db.path(), status.detected.explanation));
    if (!status.edited.empty()) {
        std::vector<std::string> names;
        for (const auto& e : status.edited) names.push_back(fmt::format("{:03d}_{}", e.version, e.name));
        throw refusal(
            fmt::format("refusing to upgrade {}: applied migration(s) {} differ from this quicktools "
                        "build; use the quicktools version that applied them",
                        db.path(), fmt::join(names, ", ")));
    }
    result.recorded_baseline = status.baseline;
    for (int v : status.pending)
        if (!migration(v, db.engine()).needs_own_command) result.applied.push_back(v);

    if (dry_run == DryRun::yes || !result.changed()) {
        result.state_after = result.state_before;
        if (!result.applied.empty() && contains(result.applied, credit_pack_columns_version))
            result.state_after = SchemaState::credit_packs;
        return result;
    }
    db.execute(sql::query(db.engine(), "history", "create"));
    for (int v : result.recorded_baseline) record(db, migration(v, db.engine()), "baseline", actor);
    for (int v : result.applied) apply_and_record(db, migration(v, db.engine()), actor);
    result.state_after = detect_state(db).state;
    return result;
}

}  // namespace

UpgradeResult upgrade(Database& db, DryRun dry_run, const std::string& actor) {
    std::optional<WriteTransaction> tx;
    if (dry_run == DryRun::no) tx.emplace(db);  // hold the write lock while deciding
    UpgradeResult result = upgrade_locked(db, dry_run, actor);
    if (tx) tx->commit();
    return result;
}

UpgradeResult upgrade_in_transaction(Database& db, const std::string& actor) {
    return upgrade_locked(db, DryRun::no, actor);
}

void initialise(Database& db, const std::string& actor) {
    WriteTransaction tx(db);
    db.execute(sql::query(db.engine(), "history", "create"));
    for (const auto& m : migrations(db.engine())) apply_and_record(db, m, actor);
    tx.commit();
}

}  // namespace quicktools::db
