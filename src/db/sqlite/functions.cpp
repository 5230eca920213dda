#include "functions.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include "sqlite_connection.hpp"

namespace quicktools::db::sqlite {
namespace {

struct RegisteredFunction {
    ScalarFunction function;
    void* self;
};

void sqlite_function_trampoline(sqlite3_context* context, int argc, sqlite3_value** args) {
    const auto* registered = static_cast<const RegisteredFunction*>(sqlite3_user_data(context));
    FunctionCall call(context, argc, args);
    registered->function(registered->self, call);
}

void sqlite_function_free(void* registered) { delete static_cast<RegisteredFunction*>(registered); }

}  // namespace

ColumnType FunctionCall::type(int index) const {
    switch (sqlite3_value_type(m_args[index])) {
        case SQLITE_INTEGER: return ColumnType::integer;
        case SQLITE_FLOAT: return ColumnType::real;
        case SQLITE_TEXT: return ColumnType::text;
        case SQLITE_BLOB: return ColumnType::blob;
        default: return ColumnType::null;
    }
}

std::int64_t FunctionCall::int64(int index) const { return sqlite3_value_int64(m_args[index]); }

std::string_view FunctionCall::text(int index) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(m_args[index]));
    if (text == nullptr) return {};
    return {text, static_cast<std::size_t>(sqlite3_value_bytes(m_args[index]))};
}

void FunctionCall::result(std::int64_t value) { sqlite3_result_int64(m_context, value); }

void FunctionCall::error(std::string_view message) {
    sqlite3_result_error(m_context, message.data(), static_cast<int>(message.size()));
}

void register_function(Database& db, const FunctionSpec& spec, void* self) {
    auto& connection = connection_of(db, fmt::format("the SQL function {}", spec.name));
    const int flags = SQLITE_UTF8 | (spec.deterministic ? SQLITE_DETERMINISTIC : SQLITE_DIRECTONLY);
    auto* registered = new RegisteredFunction{spec.function, self};
    // SQLite frees `registered` through the destructor callback, also when the call fails.
    if (sqlite3_create_function_v2(connection.handle(), spec.name, spec.arguments, flags, registered,
                                   &sqlite_function_trampoline, nullptr, nullptr, &sqlite_function_free) != SQLITE_OK)
        throw Error(
            fmt::format("could not register the SQL function {}: {}", spec.name, sqlite3_errmsg(connection.handle())));
}

void unregister_function(Database& db, const FunctionSpec& spec) noexcept {
    if (auto* connection = dynamic_cast<SqliteConnection*>(&db.connection()))
        sqlite3_create_function_v2(connection->handle(), spec.name, spec.arguments, SQLITE_UTF8, nullptr, nullptr,
                                   nullptr, nullptr, nullptr);
}

}  // namespace quicktools::db::sqlite
