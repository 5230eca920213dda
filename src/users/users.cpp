#include "quicktools/users/users.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>

#include "quicktools/db/sql_files.hpp"
#include "quicktools/util/text.hpp"

namespace quicktools::users {
namespace {

// How many of several matching users a message names.
constexpr int ids_named = 10;

}  // namespace

bool numeric_id(const std::string& s) {
    return !s.empty() && s.size() <= 18 &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

UserResolver::UserResolver(db::Database& db)
    : m_by_id(db.sql(), sql::query("users", "by_id")),
      m_by_email(db.sql(), sql::query("users", "by_email_exact")),
      m_by_email_nocase(db.sql(), sql::query("users", "by_email_nocase")) {}

Match UserResolver::find(const std::string& ref) {
    Match m;
    const auto one = [&m](SQLite::Statement& q) {
        const bool found = q.executeStep();
        if (found) {
            m.kind = Match::Kind::one;
            m.id = q.getColumn(0).getInt64();
        }
        q.reset();
        return found;
    };
    if (numeric_id(ref)) {
        m_by_id.bind(1, static_cast<std::int64_t>(std::stoll(ref)));
        one(m_by_id);
        return m;
    }
    m_by_email.bind(1, ref);
    if (one(m_by_email)) return m;
    m_by_email_nocase.bind(1, ref);
    m_by_email_nocase.bind(2, ids_named + 1);
    while (m_by_email_nocase.executeStep()) m.ids.push_back(m_by_email_nocase.getColumn(0).getInt64());
    m_by_email_nocase.reset();
    if (m.ids.size() == 1) {
        m.kind = Match::Kind::one;
        m.id = m.ids.front();
        m.ids.clear();
    } else if (m.ids.size() > 1) {
        m.kind = Match::Kind::several;
    }
    return m;
}

std::string ambiguity(const std::string& ref, const std::vector<std::int64_t>& ids) {
    const bool more = ids.size() > static_cast<std::size_t>(ids_named);
    const std::vector<std::int64_t> named(ids.begin(), ids.begin() + std::min<std::ptrdiff_t>(ids_named, static_cast<std::ptrdiff_t>(ids.size())));
    return fmt::format("{} matches {}{} users whose emails differ only in case (ids {}{}) and none exactly; name "
                       "the user by id",
                       util::display(ref), more ? "more than " : "", more ? ids_named : static_cast<int>(ids.size()),
                       fmt::join(named, ", "), more ? ", ..." : "");
}

std::int64_t resolve_user(db::Database& db, const std::string& ref) {
    if (ref.empty()) throw usage_error("a user is named by a numeric id or an email; got an empty string");
    const Match m = UserResolver(db).find(ref);
    if (m.kind == Match::Kind::one) return m.id;
    if (m.kind == Match::Kind::several) throw usage_error(ambiguity(ref, m.ids));
    throw Error(fmt::format("no user {} in {} (name a user by numeric id or email; `quicktools user list` shows "
                            "some)",
                            util::display(ref), db.path()));
}

std::optional<std::string> not_whole(const char* column, const std::string& type, const std::string& value) {
    if (type == "integer") return std::nullopt;
    if (type == "null") return fmt::format("{} is NULL", column);
    return fmt::format("{} holds {} ({}), not a whole number", column,
                       type == "text" ? "'" + util::display(value.substr(0, 40)) + "'" : util::display(value.substr(0, 40)), type);
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
    const char* columns[] = {"credits_balance", "credits_purchased_total", "credits_lifetime_used"};
    for (int i = 0; i < 3 && !u.not_whole; ++i)
        u.not_whole = not_whole(columns[i], q.getColumn(8 + i).getString(), q.getColumn(2 + i).getString());
    return u;
}

void require_whole_numbers(const User& user) {
    if (user.not_whole)
        throw refusal(fmt::format("user {} ({}): {}; quicktools only adjusts whole numbers of credits. Correct the "
                                  "row first; nothing changed",
                                  user.id, util::display(user.email), *user.not_whole));
}

}  // namespace quicktools::users
