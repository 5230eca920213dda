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

std::optional<std::int64_t> RowChecker::user_id(const std::string& ref) {
    auto it = m_ids.find(ref);
    if (it == m_ids.end()) it = m_ids.emplace(ref, users::find_user_id(m_db, ref)).first;
    return it->second;
}

RowChecker::Counters& RowChecker::counters(std::int64_t id) {
    auto it = m_counters.find(id);
    if (it != m_counters.end()) return it->second;
    SQLite::Statement q(m_db.sql(), sql::query("credits", "counters"));
    q.bind(1, id);
    Counters c;
    if (q.executeStep()) {
        c.email = q.getColumn(0).getString();
        c.balance = q.getColumn(1).getInt64();
        c.used = q.getColumn(2).getInt64();
    }
    return m_counters.emplace(id, std::move(c)).first->second;
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
    const auto id = user_ref.empty() ? std::nullopt : user_id(user_ref);
    if (!id) problems.push_back(user_ref.empty() ? "no user given" : fmt::format("no user {}", user_ref));
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
    row.user_id = *id;
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
        } else if (auto stored = find_by_key(m_db, *row.key)) {
            if (auto conflict = key_conflict(*stored, row.action, row.user_id, row.amount, row.reason)) {
                problems.push_back(*conflict);
                return fail();
            }
            row.status = RowStatus::replayed;
            row.ledger_id = stored->id;
        }
    }
    Counters& c = counters(row.user_id);
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
