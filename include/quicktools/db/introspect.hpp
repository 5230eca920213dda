#pragma once
// Reading a database's schema: tables, columns, indexes, views and triggers.
#include <optional>
#include <string>
#include <vector>

#include "quicktools/db/database.hpp"

namespace quicktools::db {

struct ColumnInfo {
    std::string name;
    std::string type;
    bool not_null = false;
    std::optional<std::string> default_value;  // as written in the DDL
    int primary_key = 0;
};

struct IndexInfo {
    std::string name;
    std::string table;
    bool unique = false;
    std::vector<std::string> columns;
    bool automatic = false;  // made by SQLite for a UNIQUE or PRIMARY KEY constraint
};

struct SchemaObject {
    std::string type;  // table, index, view, trigger
    std::string name;
    std::string table;
    std::string sql;
};

std::vector<ColumnInfo> table_columns(Database& db, const std::string& table);
std::vector<IndexInfo> indexes(Database& db);
std::vector<SchemaObject> schema_objects(Database& db);

// "INTEGER NOT NULL DEFAULT 10" style description, for messages.
std::string describe(const ColumnInfo& column);

}  // namespace quicktools::db
