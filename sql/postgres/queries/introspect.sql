-- The schema as PostgreSQL's catalog describes it (src/db/introspect.cpp), in the current
-- schema (the first of search_path: public for the web app's database). The same statements
-- and column names as sql/sqlite/queries/introspect.sql. Types as format_type writes them
-- ("character varying", "bigint"), defaults as pg_get_expr does ("nextval('users_id_seq'::regclass)").

-- name: has_table
SELECT 1 FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relname = ? AND c.relkind IN ('r', 'p', 'v', 'm', 'f')

-- name: table_info
SELECT a.attname AS name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
       CASE WHEN a.attnotnull THEN 1 ELSE 0 END AS not_null,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS default_value,
       coalesce((SELECT k.ord::integer
                 FROM pg_catalog.pg_constraint p
                 CROSS JOIN LATERAL unnest(p.conkey) WITH ORDINALITY AS k(attnum, ord)
                 WHERE p.conrelid = c.oid AND p.contype = 'p' AND k.attnum = a.attnum), 0) AS primary_key
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = current_schema() AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum

-- name: indexes
-- automatic: the index behind a PRIMARY KEY, UNIQUE or EXCLUDE constraint (SQLite's autoindexes).
SELECT ic.relname AS name, tc.relname AS table_name,
       CASE WHEN i.indisunique THEN 1 ELSE 0 END AS is_unique,
       CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                         WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x')) THEN 1 ELSE 0 END
         AS automatic
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
WHERE n.nspname = current_schema()
ORDER BY tc.relname, ic.relname

-- name: index_columns
SELECT coalesce(a.attname, '<expr>') AS name
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
WHERE n.nspname = current_schema() AND ic.relname = ?
ORDER BY k.ord

-- name: schema_objects
-- Tables, views, indexes and triggers (not the internal triggers of foreign keys). The sql of an
-- index behind a constraint is empty, as SQLite leaves its autoindexes'.
SELECT type, name, table_name, sql FROM (
    SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'view' ELSE 'table' END AS type,
           c.relname AS name, c.relname AS table_name,
           CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) ELSE '' END AS sql
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
    UNION ALL
    SELECT 'index', ic.relname, tc.relname,
           CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                             WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
                THEN '' ELSE pg_catalog.pg_get_indexdef(i.indexrelid) END
    FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
    WHERE n.nspname = current_schema()
    UNION ALL
    SELECT 'trigger', t.tgname, tc.relname, pg_catalog.pg_get_triggerdef(t.oid)
    FROM pg_catalog.pg_trigger t
    JOIN pg_catalog.pg_class tc ON tc.oid = t.tgrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = tc.relnamespace
    WHERE n.nspname = current_schema() AND NOT t.tgisinternal
) objects
ORDER BY type, name
