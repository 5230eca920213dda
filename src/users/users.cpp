#include "quicktools/users/users.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "quicktools/db/sql_files.hpp"
#include "quicktools/db/statement.hpp"
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
    : m_by_id(db, sql::query(db.engine(), "users", "by_id")),
      m_by_email(db, sql::query(db.engine(), "users", "by_email_exact")),
      m_by_email_nocase(db, sql::query(db.engine(), "users", "by_email_nocase")) {}

Match UserResolver::find(const std::string& ref) {
    Match m;
    const auto one = [&m](db::Statement& q) {
        const bool found = q.step();
        if (found) {
            m.kind = Match::Kind::one;
            m.id = q.column("id").int64();
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
    while (m_by_email_nocase.step()) m.ids.push_back(m_by_email_nocase.column("id").int64());
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
    const std::vector<std::int64_t> named(
        ids.begin(), ids.begin() + std::min<std::ptrdiff_t>(ids_named, static_cast<std::ptrdiff_t>(ids.size())));
    return fmt::format(
        "{} matches {}{} users whose emails differ only in case (ids {}{}) and none exactly; name "
        "the user by id",
        util::display(ref), more ? "more than " : "", more ? ids_named : static_cast<int>(ids.size()),
        fmt::join(named, ", "), more ? ", ..." : "");
}

std::int64_t resolve_user(db::Database& db, const std::string& ref) {
    if (ref.empty()) throw usage_error("a user is named by a numeric id or an email; got an empty string");
    const Match m = UserResolver(db).find(ref);
    if (m.kind == Match::Kind::one) return m.id;
    if (m.kind == Match::Kind::several) throw usage_error(ambiguity(ref, m.ids));
    throw Error(
        fmt::format("no user {} in {} (name a user by numeric id or email; `quicktools user list` shows "
                    "some)",
                    util::display(ref), db.path()));
}

std::optional<std::string> not_whole(const char* column, const std::string& type, const std::string& value) {
    if (type == "integer") return std::nullopt;
    if (type == "null") return fmt::format("{} is NULL", column);
    return fmt::format(
        "{} holds {} ({}), not a whole number", column,
        type == "text" ? "'" + util::display(value.substr(0, 40)) + "'" : util::display(value.substr(0, 40)), type);
}

User load_user(db::Database& db, std::int64_t id) {
    db::Statement q(db, sql::query(db.engine(), "users", "credit_columns"));
    q.bind(1, id);
    if (!q.step())
        throw Error(
            fmt::format("no user with id {} in {} (`quicktools user list` shows the users there)", id, db.path()));
    User u;
    u.id = q.column("id").int64();
    u.email = q.column("email").text();
    u.balance = q.column("credits_balance").int64();
    u.purchased_total = q.column("credits_purchased_total").int64();
    u.lifetime_used = q.column("credits_lifetime_used").int64();
    u.api_access = q.column("api_access_unlocked").int32() != 0;
    u.last_purchase_date = q.column("last_purchase_date").optional_text();
    u.last_purchase_amount = q.column("last_purchase_amount").optional_int64();
    const std::pair<const char*, const char*> columns[] = {{"credits_balance", "balance_type"},
                                                           {"credits_purchased_total", "purchased_total_type"},
                                                           {"credits_lifetime_used", "lifetime_used_type"}};
    for (const auto& [column, type] : columns)
        if (!u.not_whole) u.not_whole = not_whole(column, q.column(type).text(), q.column(column).text());
    return u;
}

void require_whole_numbers(const User& user) {
    if (user.not_whole)
        throw refusal(
            fmt::format("user {} ({}): {}; quicktools only adjusts whole numbers of credits. Correct the "
                        "row first; nothing changed",
                        user.id, util::display(user.email), *user.not_whole));
}

}  // namespace quicktools::users
