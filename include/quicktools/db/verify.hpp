#pragma once
// `db verify`: the live schema against the schema its migrations say it should have.
#include <string>
#include <vector>

#include "quicktools/db/database.hpp"
#include "quicktools/db/schema_state.hpp"

namespace quicktools::db {

struct Difference {
    std::string object;   // "users.credits_balance", "index ix_users_email", "migration 002"
    std::string problem;  // "missing", "type is TEXT, expected INTEGER NOT NULL DEFAULT 10", ...
};

struct VerifyReport {
    SchemaState state = SchemaState::unknown;
    std::string state_explanation;
    std::vector<int> expected_versions;  // the migrations the expectation is built from
    std::vector<Difference> drift;       // differences in what the tool owns or relies on
    std::vector<std::string> not_owned;
    bool baseline_pending = false;  // no history table yet: the state was detected, not recorded   // extra objects the
                                    // tool leaves alone (listed with --verbose)
    bool clean() const { return drift.empty(); }
};

// Compares the live schema with a model built by running the embedded migrations that the
// history (or, without history, the detected state) says are in place. Does not write.
VerifyReport verify_schema(Database& db);

}  // namespace quicktools::db
