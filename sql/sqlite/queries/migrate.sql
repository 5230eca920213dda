-- `migrate packs` on SQLite: the statements of sql/queries/migrate.sql that only SQLite has.
-- name: cache_for_bulk_work
-- 32 MB of page cache (the default is 2 MB): far fewer journal syncs while every page of users
-- is rewritten, and peak memory still well under 64 MB.
PRAGMA cache_size = -32768;
