-- SQLite-only statements of `stripe replay` (other engines skip them).

-- name: bulk_cache_size
-- A larger page cache for bulk work (about 32 MB), within the tool's memory budget of 64 MB.
PRAGMA cache_size = -32768;
