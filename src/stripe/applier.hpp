#pragma once
// Internal to src/stripe/: the prepared statements of one replay run and the handlers that
// decide what an event does (apply.cpp), used by the replay loop (replay.cpp).
#include <SQLiteCpp/Statement.h>

#include <optional>
#include <string>
#include <vector>

#include "quicktools/credits/ledger.hpp"
#include "quicktools/credits/packs.hpp"
#include "quicktools/stripe/event.hpp"
#include "quicktools/stripe/replay.hpp"

namespace quicktools::stripe::detail {

// What an event did; `attention` puts it on the report's list of events for a person.
struct Decision {
    Outcome outcome = Outcome::ignored;
    std::string detail;
    bool attention = false;
    std::int64_t credits_added = 0;
    std::int64_t clawed_back = 0;
};

// An event a person must look at, and why.
inline Decision needs(std::string why) { return {Outcome::needs_attention, std::move(why), true, 0, 0}; }

class Applier {
public:
    Applier(db::Database& db, const ReplayOptions& options, std::string now);
    // Decides and applies one event (not yet recorded in quicktools_stripe_events).
    Decision apply(const Event& e);
    // The stored outcome of an event id, if it was seen before.
    std::optional<std::string> stored_outcome(const std::string& event_id);
    // Records what became of an event (payload kept only when it needs attention).
    void record(const Event& e, const Decision& d, std::string_view payload, bool seen_before);
    // Writes the purchases decided so far to users and the ledger, in user-id order: random
    // updates all over a large users table cost several times more than sorted ones.
    void flush();

private:
    struct Purchase {
        std::int64_t user_id = 0;
        const credits::Pack* pack = nullptr;
        std::int64_t created = 0;
        std::string event_id;
        std::string session_id;
    };
    Decision session_event(const Event& e);
    Decision refund(const Event& e);
    Decision dispute(const Event& e);
    std::optional<std::int64_t> find_buyer(const Event& e, std::string& why);
    std::optional<std::int64_t> find_user(const std::string& ref);
    std::optional<std::string> session_credited_by(const std::string& session_id);

    db::Database& m_db;
    const ReplayOptions& m_options;
    std::string m_now;
    SQLite::Statement m_event_get, m_event_insert, m_event_update;
    SQLite::Statement m_session_credited_by, m_session_insert, m_sessions_by_pi, m_session_set_refunded,
        m_user_other_sessions, m_migrated_api;
    SQLite::Statement m_user_by_id, m_user_by_email, m_user_credits, m_user_purchase, m_user_refund, m_user_revoke_api;
    credits::LedgerWriter m_ledger;
    std::vector<Purchase> m_purchases;  // decided, not yet written (flush)
    // After many lookups, the set of user ids as a bitmap: one scan instead of a random page
    // read per event (the pages are read again, sorted, by flush()).
    std::vector<bool> m_user_ids;
    int m_id_lookups = 0;
    void load_user_ids();
};

}  // namespace quicktools::stripe::detail
