#pragma once
// C++ functions callable from SQL on a SQLite connection (the migration policy's, for one).
// The function sees its arguments and sets its result through FunctionCall, never through
// SQLite's own types.
#include <cstdint>
#include <string>
#include <string_view>

#include "quicktools/db/database.hpp"
#include "quicktools/db/engine.hpp"

struct sqlite3_context;
struct sqlite3_value;

namespace quicktools::db::sqlite {

// One call of a registered function: its arguments and its result.
class FunctionCall {
public:
    FunctionCall(sqlite3_context* context, int argc, sqlite3_value** args)
        : m_context(context), m_argc(argc), m_args(args) {}

    int size() const { return m_argc; }
    ColumnType type(int index) const;
    // NULL reads as 0 and "".
    std::int64_t int64(int index) const;
    std::string_view text(int index) const;

    void result(std::int64_t value);
    // Fails the statement that called the function with `message`.
    void error(std::string_view message);

private:
    sqlite3_context* m_context;
    int m_argc;
    sqlite3_value** m_args;
};

// The C++ side of a function: `self` is what register_function was given.
using ScalarFunction = void (*)(void* self, FunctionCall& call);

struct FunctionSpec {
    const char* name;
    int arguments;  // -1: any number (the function checks)
    ScalarFunction function;
    // Same arguments, same result: SQLite may evaluate it once. Otherwise the function is also
    // refused inside views and triggers (it counts what it is called for).
    bool deterministic;
};

// Registers the function on `db`'s connection until unregister_function; throws Error if SQLite
// refuses, and Error on another engine (naming `what`).
void register_function(Database& db, const FunctionSpec& spec, void* self);
// Never throws: a failure only leaves the function registered on a connection that no longer calls it.
void unregister_function(Database& db, const FunctionSpec& spec) noexcept;

}  // namespace quicktools::db::sqlite
