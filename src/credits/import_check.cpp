#include "import_check.hpp"

#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include "quicktools/credits/adjust.hpp"
#include "quicktools/credits/trail.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/users/users.hpp"

namespace quicktools::credits::detail {
namespace {

std::string lower_trimmed(std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
    std::size_t start = 0;
    while (start < s.size() && (s[start] == ' ' || s[start] == '\t')) ++start;
    s.erase(0, start);
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

Columns read_header(const util::CsvRecord& header, const std::string& source) {
    if (!header.error.empty())
        throw usage_error(fmt::format("{}:{}: the header line is malformed: {}", source, header.line, header.error));
    Columns c;
    c.count = header.fields.size();
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
        const std::string name = lower_trimmed(header.fields[i]);
        int* slot = name == "user"     ? &c.user
                    : name == "action" ? &c.action
                    : name == "amount" ? &c.amount
                    : name == "reason" ? &c.reason
                    : name == "idempotency_key" ? &c.key
                                                : nullptr;
        if (slot == nullptr)
            throw usage_error(fmt::format("{}:{}: unknown column \"{}\"; the columns are {}", source, header.line,
                                          header.fields[i], import_header));
        if (*slot >= 0)
            throw usage_error(fmt::format("{}:{}: column \"{}\" appears twice", source, header.line, name));
        *slot = static_cast<int>(i);
    }
    std::string missing;
    for (auto [slot, name] : {std::pair{c.user, "user"}, {c.action, "action"}, {c.amount, "amount"}, {c.reason, "reason"}})
        if (slot < 0) missing += (missing.empty() ? "" : ", ") + std::string(name);
    if (!missing.empty())
        throw usage_error(fmt::format("{}:{}: the header lacks {}; it must name the columns {} (idempotency_key "
                                      "optional)",
                                      source, header.line, missing, import_header));
    return c;
}

RowChecker::RowChecker(db::Database& db, Columns columns)
    : m_db(db), m_columns(columns), m_by_id(db.sql(), sql::query("credits", "counters")),
      m_by_email(db.sql(), sql::query("credits", "counters_by_email")), m_keys(db) {}

std::optional<RowChecker::Counters> RowChecker::read_counters(SQLite::Statement& q) {
    if (!q.executeStep()) return std::nullopt;
    Counters c;
    c.id = q.getColumn(0).getInt64();
    c.email = q.getColumn(1).getString();
    c.balance = q.getColumn(2).getInt64();
    c.used = q.getColumn(3).getInt64();
    return c;
}

RowChecker::Counters* RowChecker::user(const std::string& ref) {
    auto known = m_ids.find(ref);
    if (known == m_ids.end()) {
        // Prepared lookups by id and by exact email cover nearly every row; anything else goes
        // through users::find_user_id (emails that differ in case).
        std::optional<Counters> found;
        const bool numeric = !ref.empty() && ref.size() <= 18 &&
                             ref.find_first_not_of("0123456789") == std::string::npos;
        SQLite::Statement& q = numeric ? m_by_id : m_by_email;
        q.reset();
        if (numeric) q.bind(1, static_cast<std::int64_t>(std::stoll(ref))); else q.bind(1, ref);
        found = read_counters(q);
        if (!found && !numeric) {
            if (auto id = users::find_user_id(m_db, ref)) {
                m_by_id.reset();
                m_by_id.bind(1, *id);
                found = read_counters(m_by_id);
            }
        }
        std::int64_t id = found ? found->id : 0;
        if (found && m_counters.find(id) == m_counters.end()) m_counters.emplace(id, std::move(*found));
        known = m_ids.emplace(ref, id).first;
    }
    if (known->second == 0) return nullptr;
    return &m_counters.at(known->second);
}

void RowChecker::check(const util::CsvRecord& record, ImportResult& result) {
    std::vector<std::string> problems;
    const auto fail = [&] {
        std::string message;
        for (const auto& p : problems) message += (message.empty() ? "" : "; ") + p;
        result.errors.push_back({record.line, message});
    };
    if (!record.error.empty()) {
        problems.push_back(record.error);
        return fail();
    }
    if (record.fields.size() != m_columns.count) {
        problems.push_back(fmt::format("{} fields, but the header has {} columns", record.fields.size(), m_columns.count));
        return fail();
    }
    ImportRow row;
    row.line = record.line;
    const std::string& user_ref = record.fields[static_cast<std::size_t>(m_columns.user)];
    Counters* const target = user_ref.empty() ? nullptr : user(user_ref);
    if (target == nullptr) problems.push_back(user_ref.empty() ? "no user given" : fmt::format("no user {}", user_ref));
    const std::string& action_text = record.fields[static_cast<std::size_t>(m_columns.action)];
    const auto action = parse_action(action_text);
    if (!action) problems.push_back(fmt::format("action must be grant, refund or debit; got \"{}\"", action_text));
    const auto collect = [&](auto&& step) {
        try {
            step();
        } catch (const Error& e) {
            problems.push_back(e.what());
        }
    };
    collect([&] { row.amount = parse_amount(record.fields[static_cast<std::size_t>(m_columns.amount)]); });
    collect([&] { row.reason = normalise_reason(record.fields[static_cast<std::size_t>(m_columns.reason)]); });
    if (m_columns.key >= 0 && !record.fields[static_cast<std::size_t>(m_columns.key)].empty()) {
        row.key = record.fields[static_cast<std::size_t>(m_columns.key)];
        collect([&] { check_idempotency_key(*row.key); });
    }
    if (!problems.empty()) return fail();
    row.user_id = target->id;
    row.action = *action;

    if (row.key) {
        if (auto earlier = m_key_rows.find(*row.key); earlier != m_key_rows.end()) {
            const ImportRow& first = result.rows[earlier->second];
            if (first.action != row.action || first.user_id != row.user_id || first.amount != row.amount ||
                first.reason != row.reason) {
                problems.push_back(fmt::format("idempotency key \"{}\" is also on line {} for a different request",
                                               *row.key, first.line));
                return fail();
            }
            row.status = RowStatus::duplicate;
            row.same_as_line = first.line;
        } else if (auto stored = m_keys.find(*row.key)) {
            if (auto conflict = key_conflict(*stored, row.action, row.user_id, row.amount, row.reason)) {
                problems.push_back(*conflict);
                return fail();
            }
            row.status = RowStatus::replayed;
            row.ledger_id = stored->id;
        }
    }
    Counters& c = *target;
    row.email = c.email;
    row.balance_before = c.balance;
    row.balance_after = c.balance;
    if (row.status == RowStatus::apply) {
        if (auto why = why_not(row.action, row.amount, c.balance, c.used)) {
            problems.push_back(fmt::format("{} for user {} ({})", *why, row.user_id, c.email));
            return fail();
        }
        const auto d = deltas(row.action, row.amount);
        c.balance += d.balance;
        c.used += d.used;
        row.balance_after = c.balance;
    }
    if (row.key && row.status != RowStatus::duplicate) m_key_rows.emplace(*row.key, result.rows.size());
    result.rows.push_back(std::move(row));
}

}  // namespace quicktools::credits::detail
