#include "quicktools/db/introspect.hpp"

#include "quicktools/db/sql_files.hpp"

namespace quicktools::db {

// The statements are the engine's (sql/ENGINE/queries/introspect.sql); each names its columns.

std::vector<ColumnInfo> table_columns(Database& db, const std::string& table) {
    Statement q(db, sql::query(db.engine(), "introspect", "table_info"));
    q.bind(1, table);
    std::vector<ColumnInfo> out;
    while (q.step()) {
        ColumnInfo c;
        c.name = q.column("name").text();
        c.type = q.column("type").text();
        c.not_null = q.column("not_null").int64() != 0;
        c.default_value = q.column("default_value").optional_text();
        c.primary_key = q.column("primary_key").int32();
        out.push_back(std::move(c));
    }
    return out;
}

std::vector<IndexInfo> indexes(Database& db) {
    Statement list(db, sql::query(db.engine(), "introspect", "indexes"));
    std::vector<IndexInfo> out;
    while (list.step()) {
        IndexInfo index;
        index.name = list.column("name").text();
        index.table = list.column("table_name").text();
        index.unique = list.column("is_unique").int64() != 0;
        index.automatic = list.column("automatic").int64() != 0;
        out.push_back(std::move(index));
    }
    for (auto& index : out) {
        Statement cols(db, sql::query(db.engine(), "introspect", "index_columns"));
        cols.bind(1, index.name);
        while (cols.step()) index.columns.push_back(cols.column("name").text());
    }
    return out;
}

std::vector<SchemaObject> schema_objects(Database& db) {
    Statement q(db, sql::query(db.engine(), "introspect", "schema_objects"));
    std::vector<SchemaObject> out;
    while (q.step())
        out.push_back(
            {q.column("type").text(), q.column("name").text(), q.column("table_name").text(), q.column("sql").text()});
    return out;
}

std::string describe(const ColumnInfo& column) {
    std::string out = column.type.empty() ? "(no type)" : column.type;
    if (column.not_null) out += " NOT NULL";
    if (column.default_value) out += " DEFAULT " + *column.default_value;
    return out;
}

}  // namespace quicktools::db
