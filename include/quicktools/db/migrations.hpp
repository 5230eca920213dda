#pragma once
// Versioned schema migrations (sql/ENGINE/migrations/NNN_name.sql, embedded: each engine has its
// own text of the same migrations, with the same names) and their history table.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quicktools/dry_run.hpp"
#include "quicktools/db/database.hpp"
#include "quicktools/db/schema_state.hpp"

namespace quicktools::db {

struct Migration {
    int version = 0;
    std::string name;  // e.g. "credit_pack_columns"
    std::string_view sql;
    std::string checksum;  // sha256 of the file
    // Applied by its own command (`db drop-deprecated`) rather than by `db upgrade`.
    bool needs_own_command = false;
};

inline constexpr int legacy_schema_version = 1;
inline constexpr int credit_pack_columns_version = 2;
inline constexpr int tool_tables_version = 3;
inline constexpr int drop_deprecated_version = 4;

// An engine's migrations, by version (sql/ENGINE/migrations/).
const std::vector<Migration>& migrations(Engine engine = Engine::sqlite);
const Migration& migration(int version, Engine engine = Engine::sqlite);

struct HistoryRow {
    int version = 0;
    std::string name;
    std::string checksum;
    std::string kind;  // "applied" by the tool, or "baseline" when found already in place
    std::string applied_at;
    std::string applied_by;
};

struct EditedMigration {
    int version = 0;
    std::string name;
    std::string recorded_checksum;
    std::string current_checksum;
};

struct SchemaStatus {
    StateDetection detected;
    bool has_history = false;
    std::vector<HistoryRow> history;
    std::vector<int> baseline;            // versions a first upgrade would record as already in place
    std::vector<int> pending;             // versions not applied yet, including those with their own command
    std::vector<EditedMigration> edited;  // applied migrations whose file has changed since
};

// Reads the state, history and pending migrations. Does not write.
SchemaStatus schema_status(Database& db);

// The versions whose effect a database in this state already has.
std::vector<int> versions_in_place(const StateDetection& detected);

struct UpgradeResult {
    SchemaState state_before = SchemaState::unknown;
    SchemaState state_after = SchemaState::unknown;
    std::vector<int> recorded_baseline;
    std::vector<int> applied;
    bool changed() const { return !recorded_baseline.empty() || !applied.empty(); }
};

// Records a baseline if there is no history yet and applies every pending migration that
// `db upgrade` applies, in one transaction. Throws (exit 4) for an unknown schema or edited
// migrations. With DryRun::yes, returns the plan and changes nothing.
UpgradeResult upgrade(Database& db, DryRun dry_run, const std::string& actor);

// Like upgrade(), inside the caller's WriteTransaction, so that a command can commit the schema
// upgrade and its own changes together (all or nothing).
UpgradeResult upgrade_in_transaction(Database& db, const std::string& actor);

// Builds the final schema in a new, empty database (`db init`), with its history.
void initialise(Database& db, const std::string& actor);

// Applies one migration's SQL and records it (inside the caller's transaction).
void apply_and_record(Database& db, const Migration& m, const std::string& actor);

// Records that a migration's effect is in place (inside the caller's transaction).
void record(Database& db, const Migration& m, std::string_view kind, const std::string& actor);

}  // namespace quicktools::db
