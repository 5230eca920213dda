#pragma once
// One support adjustment (grant, refund, debit): the users UPDATE and its ledger entry in one
// transaction, applied once per idempotency key.
#include <cstdint>
#include <optional>
#include <string>

#include "quicktools/credits/ledger.hpp"
#include "quicktools/credits/request.hpp"
#include "quicktools/credits/trail.hpp"
#include "quicktools/db/database.hpp"
#include "quicktools/db/statement.hpp"

namespace quicktools::credits {

struct AdjustRequest {
    std::string user;  // numeric id or email
    Action action = Action::grant;
    std::int64_t amount = 0;                     // already checked by parse_amount
    std::string reason;                          // already normalised
    std::optional<std::string> idempotency_key;  // already checked
    std::string actor;
    std::string source = "cli";
};

struct AdjustResult {
    StoredEntry entry;  // the entry written now, or the original one when replayed
    std::string email;
    std::int64_t balance_before = 0;  // as of that entry
    bool replayed = false;
};

// Applies the adjustment. With a key already used for the same request it changes nothing and
// returns the original entry (replayed = true). Throws Error: no such user (exit 1), a debit
// below zero or a refund of more than was used (exit 4), the key used for a different request
// (exit 4), a locked database (exit 1).
AdjustResult adjust(db::Database& db, const AdjustRequest& request);

// Compares the entry holding a key with a new request under the same key: nullopt when it is
// the same request (same fingerprint), else a sentence naming what differs.
std::optional<std::string> key_conflict(const StoredEntry& stored, Action action, std::int64_t user_id,
                                        std::int64_t amount, const std::string& reason);

// Writes one adjustment inside the caller's transaction, after the caller checked it may apply:
// the users UPDATE and the ledger entry. Keeps its prepared UPDATE for many calls (import).
class AdjustmentWriter {
public:
    explicit AdjustmentWriter(db::Database& db);

    // Returns the entry as written (with its id and balance_after).
    StoredEntry write(std::int64_t user_id, Action action, std::int64_t amount, const std::string& reason,
                      const std::optional<std::string>& key, const std::string& actor, const std::string& source,
                      const std::string& created_at);

private:
    db::Statement m_update;
    LedgerWriter m_ledger;
};

}  // namespace quicktools::credits
