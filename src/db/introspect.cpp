#include "quicktools/db/introspect.hpp"

#include <SQLiteCpp/Statement.h>

namespace quicktools::db {

std::vector<ColumnInfo> table_columns(Database& db, const std::string& table) {
    SQLite::Statement q(db.sql(), "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?)");
    q.bind(1, table);
    std::vector<ColumnInfo> out;
    while (q.executeStep()) {
        ColumnInfo c;
        c.name = q.getColumn(0).getString();
        c.type = q.getColumn(1).getString();
        c.not_null = q.getColumn(2).getInt() != 0;
        if (!q.getColumn(3).isNull()) c.default_value = q.getColumn(3).getString();
        c.primary_key = q.getColumn(4).getInt();
        out.push_back(std::move(c));
    }
    return out;
}

std::vector<IndexInfo> indexes(Database& db) {
    SQLite::Statement list(db.sql(),
                           "SELECT m.name, m.tbl_name, il.\"unique\", il.origin FROM sqlite_master m "
                           "JOIN pragma_index_list(m.tbl_name) il ON il.name = m.name "
                           "WHERE m.type = 'index' ORDER BY m.tbl_name, m.name");
    std::vector<IndexInfo> out;
    while (list.executeStep()) {
        IndexInfo index;
        index.name = list.getColumn(0).getString();
        index.table = list.getColumn(1).getString();
        index.unique = list.getColumn(2).getInt() != 0;
        index.automatic = list.getColumn(3).getString() != "c";
        out.push_back(std::move(index));
    }
    for (auto& index : out) {
        SQLite::Statement cols(db.sql(), "SELECT coalesce(name, '<expr>') FROM pragma_index_info(?) ORDER BY seqno");
        cols.bind(1, index.name);
        while (cols.executeStep()) index.columns.push_back(cols.getColumn(0).getString());
    }
    return out;
}

std::vector<SchemaObject> schema_objects(Database& db) {
    SQLite::Statement q(db.sql(),
                        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master "
                        "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name");
    std::vector<SchemaObject> out;
    while (q.executeStep())
        out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                       q.getColumn(3).getString()});
    return out;
}

std::string describe(const ColumnInfo& column) {
    std::string out = column.type.empty() ? "(no type)" : column.type;
    if (column.not_null) out += " NOT NULL";
    if (column.default_value) out += " DEFAULT " + *column.default_value;
    return out;
}

}  // namespace quicktools::db
