#include "import_check.hpp"

#include <fmt/format.h>

#include "quicktools/credits/adjust.hpp"
#include "quicktools/credits/trail.hpp"
#include "quicktools/db/statement.hpp"
#include "quicktools/db/sql_files.hpp"
#include "quicktools/users/users.hpp"
#include "quicktools/util/text.hpp"

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

// The database, once the temporary table of the file's keys exists (fresh for each import).
db::Database& with_key_table(db::Database& db) {
    db.execute(sql::query(db.engine(), "credits", "import_keys_create"));
    return db;
}

}  // namespace

Columns read_header(const util::CsvRecord& header, const std::string& source) {
    if (!header.error.empty())
        throw usage_error(fmt::format("{}:{}: the header line is malformed: {}", source, header.line, header.error));
    Columns c;
    c.count = header.fields.size();
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
        const std::string name = lower_trimmed(header.fields[i]);
        int* slot = name == "user"              ? &c.user
                    : name == "action"          ? &c.action
                    : name == "amount"          ? &c.amount
                    : name == "reason"          ? &c.reason
                    : name == "idempotency_key" ? &c.key
                                                : nullptr;
        if (slot == nullptr)
            throw usage_error(fmt::format("{}:{}: unknown column \"{}\"; the columns are {}", source, header.line,
                                          util::display(header.fields[i]), import_header));
        if (*slot >= 0)
            throw usage_error(
                fmt::format("{}:{}: column \"{}\" appears twice", source, header.line, util::display(name)));
        *slot = static_cast<int>(i);
    }
    std::string missing;
    for (auto [slot, name] :
         {std::pair{c.user, "user"}, {c.action, "action"}, {c.amount, "amount"}, {c.reason, "reason"}})
        if (slot < 0) missing += (missing.empty() ? "" : ", ") + std::string(name);
    if (!missing.empty())
        throw usage_error(
            fmt::format("{}:{}: the header lacks {}; it must name the columns {} (idempotency_key "
                        "optional)",
                        source, header.line, missing, import_header));
    return c;
}

RowChecker::RowChecker(db::Database& db, Columns columns, RowLocks locks)
    : m_columns(columns),
      m_users(db),
      m_counters_query(db, sql::query(db.engine(), "credits", locks == RowLocks::yes ? "counters_locked" : "counters")),
      m_ledger_keys(db),
      m_file_key_find(with_key_table(db), sql::query(db.engine(), "credits", "import_keys_find")),
      m_file_key_add(db, sql::query(db.engine(), "credits", "import_keys_add")) {}

RowChecker::Counters& RowChecker::counters(std::int64_t id) {
    if (auto known = m_counters.find(id); known != m_counters.end()) return known->second;
    auto& q = m_counters_query;
    q.reset();
    q.bind(1, id);
    if (!q.step()) throw Error(fmt::format("user {} disappeared during the import", id));
    Counters c;
    c.id = id;
    c.email = q.column("email").text();
    c.balance = q.column("credits_balance").int64();
    c.used = q.column("credits_lifetime_used").int64();
    c.not_whole =
        users::not_whole("credits_balance", q.column("balance_type").text(), q.column("credits_balance").text());
    if (!c.not_whole)
        c.not_whole = users::not_whole("credits_lifetime_used", q.column("lifetime_used_type").text(),
                                       q.column("credits_lifetime_used").text());
    q.reset();
    return m_counters.emplace(id, std::move(c)).first->second;
}

std::optional<ImportRow> RowChecker::check(const util::CsvRecord& record, std::string& problem) {
    std::vector<std::string> problems;
    const auto fail = [&]() -> std::optional<ImportRow> {
        problem.clear();
        for (const auto& p : problems) problem += (problem.empty() ? "" : "; ") + p;
        return std::nullopt;
    };
    if (!record.error.empty()) {
        problems.push_back(record.error);
        return fail();
    }
    if (record.fields.size() != m_columns.count) {
        problems.push_back(
            fmt::format("{} fields, but the header has {} columns", record.fields.size(), m_columns.count));
        return fail();
    }
    const auto field = [&](int column) -> const std::string& {
        return record.fields[static_cast<std::size_t>(column)];
    };
    ImportRow row;
    row.line = record.line;
    const std::string& user_ref = field(m_columns.user);
    users::Match match;
    if (!user_ref.empty()) match = m_users.find(user_ref);
    if (user_ref.empty())
        problems.push_back("no user given");
    else if (match.kind == users::Match::Kind::none)
        problems.push_back(fmt::format("no user {}", util::display(user_ref)));
    else if (match.kind == users::Match::Kind::several)
        problems.push_back(users::ambiguity(user_ref, match.ids));
    const std::string& action_text = field(m_columns.action);
    const auto action = parse_action(action_text);
    if (!action)
        problems.push_back(
            fmt::format("action must be grant, refund or debit; got \"{}\"", util::display(action_text)));
    const auto collect = [&](auto&& step) {
        try {
            step();
        } catch (const Error& e) {
            problems.push_back(e.what());
        }
    };
    collect([&] { row.amount = parse_amount(field(m_columns.amount)); });
    collect([&] { row.reason = normalise_reason(field(m_columns.reason)); });
    if (m_columns.key >= 0 && !field(m_columns.key).empty()) {
        row.key = field(m_columns.key);
        collect([&] { check_idempotency_key(*row.key); });
    }
    if (!problems.empty()) return fail();
    row.user_id = match.id;
    row.action = *action;
    Counters& c = counters(row.user_id);
    if (c.not_whole) {
        problems.push_back(
            fmt::format("user {} ({}): {}; correct the row first", c.id, util::display(c.email), *c.not_whole));
        return fail();
    }

    std::string print;
    if (row.key) {
        print = fingerprint(row.action, row.user_id, row.amount, row.reason);
        m_file_key_find.reset();
        m_file_key_find.bind(1, *row.key);
        if (m_file_key_find.step()) {
            const auto first_line = m_file_key_find.column("line").int64();
            const bool same = m_file_key_find.column("fingerprint").text() == print;
            m_file_key_find.reset();
            if (!same) {
                problems.push_back(fmt::format("idempotency key \"{}\" is also on line {} for a different request",
                                               util::display(*row.key), first_line));
                return fail();
            }
            row.status = RowStatus::duplicate;
            row.same_as_line = first_line;
        } else if (auto stored = m_ledger_keys.find(*row.key)) {
            if (auto conflict = key_conflict(*stored, row.action, row.user_id, row.amount, row.reason)) {
                problems.push_back(*conflict);
                return fail();
            }
            row.status = RowStatus::replayed;
            row.ledger_id = stored->id;
        }
    }
    row.email = c.email;
    row.balance_before = c.balance;
    row.balance_after = c.balance;
    if (row.status == RowStatus::apply) {
        if (auto why = why_not(row.action, row.amount, c.balance, c.used)) {
            problems.push_back(fmt::format("{} for user {} ({})", *why, row.user_id, util::display(c.email)));
            return fail();
        }
        const auto d = deltas(row.action, row.amount);
        c.balance += d.balance;
        c.used += d.used;
        row.balance_after = c.balance;
    }
    if (row.key && row.status != RowStatus::duplicate) {
        m_file_key_add.reset();
        m_file_key_add.bind(1, *row.key);
        m_file_key_add.bind(2, row.line);
        m_file_key_add.bind(3, print);
        m_file_key_add.exec();
    }
    return row;
}

}  // namespace quicktools::credits::detail
