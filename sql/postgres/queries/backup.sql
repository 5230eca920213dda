-- The backup on PostgreSQL (src/db/postgres/pg_backup.cpp).

-- name: export_snapshot
-- The transaction's snapshot, for pg_dump --snapshot (a backup of exactly what it sees).
SELECT pg_catalog.pg_export_snapshot()
