#pragma once
// Internal to src/stripe/: the prepared statements of one replay run and the handlers that
// decide what an event does (apply.cpp), used by the replay loop (replay.cpp).
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "quicktools/credits/ledger.hpp"
#include "quicktools/credits/packs.hpp"
#include "quicktools/db/statement.hpp"
#include "quicktools/stripe/event.hpp"
#include "quicktools/stripe/replay.hpp"
#include "quicktools/users/users.hpp"
#include "read_ahead.hpp"

namespace quicktools::stripe::detail {

// What an event did; `attention` puts it on the report's list of events for a person.
struct Decision {
    Outcome outcome = Outcome::ignored;
    std::string detail;
    bool attention = false;
    std::int64_t credits_added = 0;
    std::int64_t clawed_back = 0;
    std::int64_t restored = 0;
    // An event of the other mode: reported, but a stored record (and its reason) is kept as is.
    bool other_mode = false;
    // Credits a refund or dispute should have taken but the user had already spent.
    std::int64_t shortfall = 0;
};

// An event a person must look at, and why.
inline Decision needs(std::string why) { return {Outcome::needs_attention, std::move(why), true, 0, 0, 0}; }

// A credited Checkout Session as refunds and disputes see it (quicktools_checkout_sessions).
struct SessionRow {
    std::string id;
    std::int64_t user_id = 0;
    std::string pack;
    std::int64_t credits = 0;
    std::int64_t owed = 0;  // refunded_credits: what refunds and disputes take back now
    std::optional<std::int64_t> amount_total;
    std::int64_t clawed = 0;           // taken from the balance (owed less any shortfall)
    std::int64_t purchased_taken = 0;  // taken from credits_purchased_total
    bool api_suspended = false;
    std::int64_t charge_refunded = 0;  // the charge's refunded total as the newest charge.refunded said
    std::optional<std::int64_t> charge_refunded_at;
};

// What settling a session did: credits taken or given back, the API unlock changed.
struct Settlement {
    std::int64_t taken = 0, shortfall = 0, given = 0;
    bool api_suspended = false, api_restored = false;
    bool changed() const { return taken != 0 || given != 0 || api_suspended || api_restored; }
};

class Applier {
public:
    Applier(db::Database& db, const ReplayOptions& options, std::string now);
    // Decides and applies one event (not yet recorded in quicktools_stripe_events).
    Decision apply(const Event& e);
    // PostgreSQL: reads what is stored of a batch's events and checkout sessions in one statement,
    // which the lookups below answer from (each lookup would be a round trip to the server). An
    // id written since is looked up again. SQLite: nothing (a lookup is no round trip).
    void prefetch(const std::vector<ParsedEvent>& batch);
    // The stored outcome of an event id, if it was seen before.
    std::optional<std::string> stored_outcome(const std::string& event_id);
    // Records what became of an event (payload kept only when it needs attention).
    void record(const Event& e, const Decision& d, std::string_view payload, bool seen_before);
    // Writes the purchases decided so far to users (one statement for all of them, in user-id
    // order: random updates all over a large users table cost several times more than sorted
    // ones) and to the ledger.
    void flush();
    // Waits for the turn of this run among the runs that apply events, until the transaction ends
    // (taken again after a batch's commit).
    void take_writer_lock();

private:
    struct Purchase {
        std::int64_t user_id = 0;
        const credits::Pack* pack = nullptr;
        std::int64_t created = 0;
        std::string event_id;
        std::string session_id;
    };
    Decision session_event(const Event& e);
    Decision charge_refunded(const Event& e);
    Decision refund(const Event& e);
    Decision dispute(const Event& e);
    Decision fraud_warning(const Event& e);
    // The session a refund, dispute or warning is about (by payment intent), or why none.
    std::optional<SessionRow> session_of(const Event& e, std::string& why);
    // Takes or gives back what the session's refunds and disputes now say it owes.
    Settlement settle(const SessionRow& s, const Event& e, std::string_view cause);
    bool other_api_unlock(const SessionRow& s);
    // A refund's amount and status as of `status_at` (quicktools_refunds; the newest wins).
    void record_refund(const std::string& refund_id, const std::string& session_id, std::int64_t amount,
                       const std::string& status, std::int64_t status_at);
    std::optional<std::int64_t> find_buyer(const Event& e, std::string& why);
    users::Match find_user(const std::string& ref);
    std::optional<std::string> session_credited_by(const std::string& session_id);
    // Why crediting `credits` to the purchase's user changed no row (the whole input is refused).
    [[noreturn]] void refuse_purchase(const Purchase& purchase, std::int64_t credits);

    db::Database& m_db;
    const ReplayOptions& m_options;
    std::string m_now;
    std::int64_t m_now_unix = 0;  // the same moment, in Unix seconds
    db::Statement m_event_get, m_event_insert, m_event_update;
    db::Statement m_session_credited_by, m_session_insert, m_sessions_by_pi, m_session_set_taken,
        m_session_set_charge_refunded, m_refund_upsert, m_session_refunds, m_dispute_upsert, m_disputes_holding,
        m_dispute_get, m_user_other_sessions, m_migrated_api;
    users::UserResolver m_users;
    db::Statement m_user_credits, m_users_purchase, m_user_adjust, m_user_set_api;
    credits::LedgerWriter m_ledger;
    // The result columns of the statements run for every event, looked up once.
    int m_event_outcome, m_credited_by, m_purchase_user, m_purchase_balance;
    std::vector<Purchase> m_purchases;  // decided, not yet written (flush)
    // What prefetch() read: the ids it asked for, what it found, and the ids written since.
    struct Prefetched {
        std::unordered_set<std::string> asked;
        std::unordered_map<std::string, std::string> found;
        std::unordered_set<std::string> written;
        // The stored value if prefetch() knows it: nullopt when it must be looked up.
        std::optional<std::optional<std::string>> known(const std::string& id) const;
        void clear();
    };
    Prefetched m_prefetched_events, m_prefetched_sessions;
    std::optional<db::Statement> m_prefetch;
    // After many lookups, the set of user ids as a bitmap: one scan instead of a random page
    // read per event (the pages are read again, sorted, by flush()).
    std::vector<bool> m_user_ids;
    int m_id_lookups = 0;
    void load_user_ids();
};

}  // namespace quicktools::stripe::detail
