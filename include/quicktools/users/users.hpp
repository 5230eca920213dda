#pragma once
// Finding users by id or email, and reading their credit columns.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "quicktools/db/database.hpp"
#include "quicktools/db/statement.hpp"

namespace quicktools::users {

struct User {
    std::int64_t id = 0;
    std::string email;
    std::int64_t balance = 0;
    std::int64_t purchased_total = 0;
    std::int64_t lifetime_used = 0;
    bool api_access = false;
    std::optional<std::string> last_purchase_date;
    std::optional<std::int64_t> last_purchase_amount;
    // Set when a credit column holds no whole number (5.5, 'abc', NULL: the web app wrote it):
    // a sentence naming the column and what it holds. The numbers above are then not to be used.
    std::optional<std::string> not_whole;
};

// What a user reference names: nobody, one user, or several users whose emails differ only in
// case (SQLite's unique index on email is case-sensitive, so an app can hold both).
struct Match {
    enum class Kind { none, one, several };
    Kind kind = Kind::none;
    std::int64_t id = 0;            // for one
    std::vector<std::int64_t> ids;  // for several: the first few, by id
};

// The one way users are named on the command line, in import rows and in Stripe metadata: a
// numeric id; else an exact email; else an email that differs only in ASCII case, if exactly
// one user has it. Keeps its prepared statements for many lookups.
class UserResolver {
public:
    explicit UserResolver(db::Database& db);
    Match find(const std::string& id_or_email);

private:
    db::Statement m_by_id, m_by_email, m_by_email_nocase;
};

// Whether `ref` is written as a numeric id (digits only, up to 18 of them).
bool numeric_id(const std::string& ref);

// The sentence for a reference that matches several users: names them and says what to do.
std::string ambiguity(const std::string& ref, const std::vector<std::int64_t>& ids);

// The id of the user named by a numeric id or an email. Throws Error: no such user (exit 1),
// several users with that email when case is ignored (exit 2), an empty reference (exit 2).
std::int64_t resolve_user(db::Database& db, const std::string& id_or_email);

// Loads a user's credit columns (the database must have them); throws Error if absent.
User load_user(db::Database& db, std::int64_t id);

// Throws a refusal (exit 4) naming the user and the column when `user.not_whole` is set: the
// tool never adjusts a balance it cannot read as a whole number.
void require_whole_numbers(const User& user);

// The sentence for a credit column that holds no whole number ("credits_balance holds 5.5
// (real)"), or nullopt when `type` is "integer". `type` is SQLite's typeof().
std::optional<std::string> not_whole(const char* column, const std::string& type, const std::string& value);

}  // namespace quicktools::users
