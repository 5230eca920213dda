#pragma once
// A prepared statement on either engine (see engine.hpp): bind, step, read columns by index or
// by name.
//
//     db::Statement q(db, sql::query(db, "credits", "counters"));
//     q.bind(1, user_id);
//     if (q.step()) balance = q.column("credits_balance").int64();
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "quicktools/db/engine.hpp"

namespace quicktools::db {

class Database;

// One column of the current row.
class Column {
public:
    Column(StatementImpl& statement, int index) : m_statement(&statement), m_index(index) {}

    ColumnType type() const { return m_statement->column_type(m_index); }
    bool is_null() const { return type() == ColumnType::null; }
    std::int64_t int64() const { return m_statement->column_int64(m_index); }
    int int32() const { return static_cast<int>(m_statement->column_int64(m_index)); }
    double real() const { return m_statement->column_double(m_index); }
    // The value as text ("" for NULL).
    std::string text() const { return m_statement->column_text(m_index); }
    std::optional<std::string> optional_text() const {
        return is_null() ? std::nullopt : std::optional<std::string>(text());
    }
    std::optional<std::int64_t> optional_int64() const {
        return is_null() ? std::nullopt : std::optional<std::int64_t>(int64());
    }
    std::string name() const { return m_statement->column_name(m_index); }

private:
    StatementImpl* m_statement;
    int m_index;
};

class Statement {
public:
    Statement(Database& db, std::string_view sql);
    explicit Statement(std::unique_ptr<StatementImpl> impl) : m_impl(std::move(impl)) {}

    // Index from 1, or a `:name` (with its colon).
    template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
    void bind(int index, T value) {
        m_impl->bind_int64(index, static_cast<std::int64_t>(value));
    }
    void bind(int index, bool value) { m_impl->bind_int64(index, value ? 1 : 0); }
    void bind(int index, double value) { m_impl->bind_double(index, value); }
    void bind(int index, std::string_view value) { m_impl->bind_text(index, value); }
    void bind(int index, const std::string& value) { m_impl->bind_text(index, value); }
    void bind(int index, const char* value) { m_impl->bind_text(index, value); }
    void bind(int index, std::nullopt_t) { m_impl->bind_null(index); }
    template <typename T>
    void bind(int index, const std::optional<T>& value) {
        if (value)
            bind(index, *value);
        else
            m_impl->bind_null(index);
    }
    template <typename T>
    void bind(std::string_view name, T&& value) {
        bind(m_impl->parameter_index(name), std::forward<T>(value));
    }
    void bind_null(int index) { m_impl->bind_null(index); }

    // Runs the statement (on the first call) and moves to the next row: true while there is one.
    bool step() { return m_impl->step(); }
    // Runs the statement to its end; returns the rows it changed.
    std::int64_t exec() {
        while (m_impl->step()) {
        }
        return m_impl->changes();
    }
    // Runs a write whose result is not needed; its failure may be reported by the next statement
    // or the commit (see StatementImpl::exec_pipelined). Leaves the statement reset.
    void exec_pipelined() { m_impl->exec_pipelined(); }
    void reset() { m_impl->reset(); }

    Column column(int index) { return Column(*m_impl, index); }
    Column column(std::string_view name) { return Column(*m_impl, m_impl->column_index(name)); }
    int column_index(std::string_view name) { return m_impl->column_index(name); }
    int column_count() { return m_impl->column_count(); }

    StatementImpl& impl() { return *m_impl; }

private:
    std::unique_ptr<StatementImpl> m_impl;
};

}  // namespace quicktools::db
