#include "state.hpp"

#include <SQLiteCpp/Statement.h>

#include "quicktools/db/sql_files.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::stripe::detail {

std::optional<nlohmann::json> read_state(db::Database& db, std::string_view name, std::string_view unreadable) {
    SQLite::Statement q(db.sql(), sql::query("stripe", "state_get"));
    q.bind(1, std::string(name));
    if (!q.executeStep()) return std::nullopt;
    auto value = nlohmann::json::parse(q.getColumn(0).getString(), nullptr, false);
    if (!value.is_object()) throw Error(std::string(unreadable));
    return value;
}

void write_state(db::Database& db, std::string_view name, const nlohmann::json& value) {
    SQLite::Statement q(db.sql(), sql::query("stripe", "state_put"));
    q.bind(1, std::string(name));
    q.bind(2, value.dump());
    q.bind(3, util::now_timestamp());
    q.exec();
}

}  // namespace quicktools::stripe::detail
