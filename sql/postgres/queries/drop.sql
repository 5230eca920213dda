-- What `db drop-deprecated` must handle on PostgreSQL before ALTER TABLE users DROP COLUMN
-- (src/db/postgres/pg_drop.cpp), read from the catalog of the current schema. `uses` is the
-- first of the dropped columns (the ? parameter: their names, comma-separated) the object
-- depends on, empty when it uses none of them.

-- name: dependent_views
-- Views (and materialized views) built on users, directly or through another such view, each
-- with its depth (1: on users itself) and, when it is built on a view, the first such view.
WITH RECURSIVE dropped AS (
    SELECT a.attnum, a.attname FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = (SELECT c.oid FROM pg_catalog.pg_class c
                        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                        WHERE n.nspname = current_schema() AND c.relname = 'users' AND c.relkind IN ('r', 'p'))
      AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attname = ANY (string_to_array(?, ','))
), users_oid AS (
    SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relname = 'users' AND c.relkind IN ('r', 'p')
), edge AS (
    SELECT DISTINCT r.ev_class AS view, d.refobjid AS base
    FROM pg_catalog.pg_depend d
    JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid
    WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
      AND r.ev_class <> d.refobjid
), tree AS (
    SELECT e.view, 1 AS depth, ''::name AS through FROM edge e WHERE e.base = (SELECT oid FROM users_oid)
    UNION
    SELECT e.view, t.depth + 1, b.relname FROM edge e JOIN tree t ON e.base = t.view
    JOIN pg_catalog.pg_class b ON b.oid = t.view
    WHERE t.depth < 50
)
SELECT v.relname AS name, CASE v.relkind WHEN 'm' THEN 1 ELSE 0 END AS materialized, max(t.depth) AS depth,
       coalesce((SELECT min(t2.through::text) FROM tree t2 WHERE t2.view = v.oid AND t2.through <> ''), '') AS through,
       coalesce((SELECT min(dc.attname::text) FROM pg_catalog.pg_depend d
                 JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid
                 JOIN dropped dc ON dc.attnum = d.refobjsubid
                 WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass AND r.ev_class = v.oid
                   AND d.refobjid = (SELECT oid FROM users_oid)), '') AS uses
FROM tree t JOIN pg_catalog.pg_class v ON v.oid = t.view
GROUP BY v.oid, v.relname, v.relkind
ORDER BY max(t.depth), v.relname

-- name: users_triggers
-- The triggers on users (not the internal ones of foreign keys), with the dropped column they
-- name (UPDATE OF, their WHEN clause) or, failing that, the body of their function.
SELECT t.tgname AS name,
       coalesce((SELECT min(a.attname::text) FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid = t.tgrelid AND a.attname = ANY (string_to_array(?1, ','))
                   AND (a.attnum = ANY (t.tgattr::int2[])
                        OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                                   WHERE d.classid = 'pg_catalog.pg_trigger'::regclass AND d.objid = t.oid
                                     AND d.refobjid = t.tgrelid AND d.refobjsubid = a.attnum))), '') AS uses,
       p.proname AS function_name, coalesce(p.prosrc, '') AS function_body
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
WHERE n.nspname = current_schema() AND c.relname = 'users' AND NOT t.tgisinternal
ORDER BY t.tgname

-- name: users_indexes
-- The indexes on users that are not behind a constraint, with the first dropped column they use
-- (as a key, in an expression or in their WHERE).
SELECT ic.relname AS name,
       coalesce((SELECT min(a.attname::text) FROM pg_catalog.pg_depend d
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                 WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = i.indexrelid
                   AND d.refobjid = i.indrelid AND a.attname = ANY (string_to_array(?1, ','))), '') AS uses
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = tc.relnamespace
WHERE n.nspname = current_schema() AND tc.relname = 'users'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
ORDER BY ic.relname

-- name: users_constraints
-- The constraints on users that use a dropped column: they go with it.
SELECT k.conname AS name, pg_catalog.pg_get_constraintdef(k.oid) AS definition
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relname = 'users'
  AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
              WHERE a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
                AND a.attname = ANY (string_to_array(?1, ',')))
ORDER BY k.conname

-- name: users_bytes
-- The size of users on the server: the table, its TOAST and its indexes, as the drop's
-- transaction sees them (an index dropped in it no longer counts).
SELECT pg_total_relation_size(c.oid) AS bytes
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relname = 'users' AND c.relkind IN ('r', 'p');
