-- The schema as SQLite describes it (src/db/introspect.cpp, the SQLite connection). Every
-- statement names its result columns, so an engine's variant gives the same names.

-- name: has_table
SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?

-- name: table_info
SELECT name, type, "notnull" AS not_null, dflt_value AS default_value, pk AS primary_key
FROM pragma_table_info(?)
ORDER BY cid

-- name: indexes
SELECT m.name AS name, m.tbl_name AS table_name, il."unique" AS is_unique, il.origin <> 'c' AS automatic
FROM sqlite_master m
JOIN pragma_index_list(m.tbl_name) il ON il.name = m.name
WHERE m.type = 'index'
ORDER BY m.tbl_name, m.name

-- name: index_columns
SELECT coalesce(name, '<expr>') AS name FROM pragma_index_info(?) ORDER BY seqno

-- name: schema_objects
SELECT type, name, tbl_name AS table_name, coalesce(sql, '') AS sql
FROM sqlite_master
WHERE name NOT LIKE 'sqlite_%'
ORDER BY type, name
