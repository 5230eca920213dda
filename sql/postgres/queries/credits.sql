-- PostgreSQL's text of the statements of sql/queries/credits.sql that SQLite's would not run
-- or would run differently there (the others are shared).

-- name: apply_deltas
-- The counters are BIGINT, so they are always whole numbers; the guard keeps the result in the
-- 64-bit range (and the balance at least 0 on a debit), computed in numeric so that the guard
-- itself cannot overflow. The UPDATE locks the user's row until the transaction ends; under READ
-- COMMITTED a concurrent write of the web app is waited for and the guard checked again on the
-- row as it left it.
UPDATE users SET credits_balance = credits_balance + ?1::bigint,
                 credits_lifetime_used = credits_lifetime_used + ?2::bigint
WHERE id = ?3
  AND credits_balance::numeric + ?1::numeric <= 9223372036854775807
  AND (?1::bigint >= 0 OR credits_balance::numeric + ?1::numeric >= 0)
  AND credits_lifetime_used::numeric + ?2::numeric <= 9223372036854775807
  AND (?2::bigint >= 0 OR credits_lifetime_used::numeric + ?2::numeric >= 0)
RETURNING credits_balance;

-- name: counters
SELECT id, email, credits_balance, credits_lifetime_used, 'integer' AS balance_type,
       'integer' AS lifetime_used_type
FROM users WHERE id = ?;

-- name: counters_locked
-- The row locked until the transaction ends (waiting at most --busy-timeout for the web app's).
SELECT id, email, credits_balance, credits_lifetime_used, 'integer' AS balance_type,
       'integer' AS lifetime_used_type
FROM users WHERE id = ? FOR UPDATE;

-- name: lock_user
-- The user's row, locked until the transaction ends: an adjustment reads the counters it checks
-- after this, and the web app's writes to the row wait for it (at most --busy-timeout for us).
SELECT id FROM users WHERE id = ? FOR UPDATE;

-- name: entries_of_user
SELECT * FROM (
    SELECT id, user_id, kind, amount, balance_delta, purchased_delta, used_delta, balance_after, reason, actor, source,
           idempotency_key, request_fingerprint, created_at
    FROM quicktools_ledger WHERE user_id = ?1 ORDER BY id DESC
    LIMIT CASE WHEN ?2::bigint < 0 THEN NULL ELSE ?2 END  -- SQLite's LIMIT -1: all of them
) AS latest ORDER BY id;

-- The idempotency keys of the file being imported (a temporary table, gone with the session).
-- name: import_keys_create
DROP TABLE IF EXISTS pg_temp.quicktools_import_keys;
CREATE TEMP TABLE quicktools_import_keys (key TEXT PRIMARY KEY, line BIGINT NOT NULL, fingerprint TEXT NOT NULL);
-- name: import_keys_find
SELECT line, fingerprint FROM pg_temp.quicktools_import_keys WHERE key = ?;
-- name: import_keys_add
INSERT INTO pg_temp.quicktools_import_keys (key, line, fingerprint) VALUES (?, ?, ?);
