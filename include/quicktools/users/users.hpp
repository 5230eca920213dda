#pragma once
// Finding users by id or email, and reading their credit columns.
#include <cstdint>
#include <optional>
#include <string>

#include "quicktools/db/database.hpp"

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
};

// The id of the user named by a numeric id or an email, or nullopt.
std::optional<std::int64_t> find_user_id(db::Database& db, const std::string& id_or_email);

// Like find_user_id, but throws Error (exit 1) with a sentence when there is no such user.
std::int64_t resolve_user(db::Database& db, const std::string& id_or_email);

// Loads a user's credit columns (the database must have them); throws Error if absent.
User load_user(db::Database& db, std::int64_t id);

}  // namespace quicktools::users
