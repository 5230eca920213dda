#include "state.hpp"

#include "quicktools/db/statement.hpp"

#include "quicktools/db/sql_files.hpp"
#include "quicktools/util/system.hpp"

namespace quicktools::stripe::detail {

std::optional<nlohmann::json> read_state(db::Database& db, std::string_view name, std::string_view unreadable) {
    db::Statement q(db, sql::query(db.engine(), "stripe", "state_get"));
    q.bind(1, std::string(name));
    if (!q.step()) return std::nullopt;
    auto value = nlohmann::json::parse(q.column("value").text(), nullptr, false);
    if (!value.is_object()) throw Error(std::string(unreadable));
    return value;
}

void write_state(db::Database& db, std::string_view name, const nlohmann::json& value) {
    db::Statement q(db, sql::query(db.engine(), "stripe", "state_put"));
    q.bind(1, std::string(name));
    q.bind(2, value.dump());
    q.bind(3, util::now_timestamp());
    q.exec();
}

}  // namespace quicktools::stripe::detail
