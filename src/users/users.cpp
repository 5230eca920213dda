#include "quicktools/users/users.hpp"

#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "quicktools/db/sql_files.hpp"

namespace quicktools::users {
namespace {

bool all_digits(const std::string& s) {
    return !s.empty() && s.size() <= 18 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

std::optional<std::int64_t> find_user_id(db::Database& db, const std::string& ref) {
    if (all_digits(ref)) {
        SQLite::Statement q(db.sql(), sql::query("users", "by_id"));
        q.bind(1, static_cast<std::int64_t>(std::stoll(ref)));
        if (q.executeStep()) return q.getColumn(0).getInt64();
        return std::nullopt;
    }
    {
        SQLite::Statement exact(db.sql(), sql::query("users", "by_email_exact"));
        exact.bind(1, ref);
        if (exact.executeStep()) return exact.getColumn(0).getInt64();
    }
    SQLite::Statement q(db.sql(), sql::query("users", "by_email"));
    q.bind(1, ref);
    q.bind(2, ref);
    if (q.executeStep()) return q.getColumn(0).getInt64();
    return std::nullopt;
}

std::int64_t resolve_user(db::Database& db, const std::string& ref) {
    if (ref.empty()) throw usage_error("a user is named by a numeric id or an email; got an empty string");
    if (auto id = find_user_id(db, ref)) return *id;
    throw Error(fmt::format("no user {} in {} (name a user by numeric id or email; `quicktools user list` shows "
                            "some)",
                            ref, db.path()));
}

User load_user(db::Database& db, std::int64_t id) {
    SQLite::Statement q(db.sql(), sql::query("users", "credit_columns"));
    q.bind(1, id);
    if (!q.executeStep()) throw Error(fmt::format("no user with id {} in {} (`quicktools user list` shows the users there)", id, db.path()));
    User u;
    u.id = q.getColumn(0).getInt64();
    u.email = q.getColumn(1).getString();
    u.balance = q.getColumn(2).getInt64();
    u.purchased_total = q.getColumn(3).getInt64();
    u.lifetime_used = q.getColumn(4).getInt64();
    u.api_access = q.getColumn(5).getInt() != 0;
    if (!q.getColumn(6).isNull()) u.last_purchase_date = q.getColumn(6).getString();
    if (!q.getColumn(7).isNull()) u.last_purchase_amount = q.getColumn(7).getInt64();
    return u;
}

}  // namespace quicktools::users
