-- Support adjustments, import, history and audit (src/credits/).

-- name: apply_deltas
-- ?1 and ?2 are small (an adjustment's amount). The guard keeps SQLite from turning an integer
-- that leaves the 64-bit range into a REAL: no row is changed, and the caller says why.
UPDATE users SET credits_balance = credits_balance + ?1, credits_lifetime_used = credits_lifetime_used + ?2
WHERE id = ?3 AND typeof(credits_balance) = 'integer' AND typeof(credits_lifetime_used) = 'integer'
  AND (?1 <= 0 OR credits_balance <= 9223372036854775807 - ?1) AND (?1 >= 0 OR credits_balance >= -?1)
  AND (?2 <= 0 OR credits_lifetime_used <= 9223372036854775807 - ?2) AND (?2 >= 0 OR credits_lifetime_used >= -?2)
RETURNING credits_balance;

-- name: counters
SELECT id, email, credits_balance, credits_lifetime_used, typeof(credits_balance) AS balance_type,
       typeof(credits_lifetime_used) AS lifetime_used_type
FROM users WHERE id = ?;

-- The same, the row locked for the rest of the write transaction (on SQLite the transaction's
-- lock covers it already): an import checks its rows against the counters it then changes.
-- name: counters_locked
SELECT id, email, credits_balance, credits_lifetime_used, typeof(credits_balance) AS balance_type,
       typeof(credits_lifetime_used) AS lifetime_used_type
FROM users WHERE id = ?;

-- name: lock_user
-- The user's row for the rest of the transaction. On SQLite the write transaction's lock covers
-- it already; PostgreSQL's variant is SELECT ... FOR UPDATE.
SELECT id FROM users WHERE id = ?;

-- name: entry_by_key
SELECT id, user_id, kind, amount, balance_delta, purchased_delta, used_delta, balance_after, reason, actor, source,
       idempotency_key, request_fingerprint, created_at
FROM quicktools_ledger WHERE idempotency_key = ?;

-- name: entries_of_user
SELECT * FROM (
    SELECT id, user_id, kind, amount, balance_delta, purchased_delta, used_delta, balance_after, reason, actor, source,
           idempotency_key, request_fingerprint, created_at
    FROM quicktools_ledger WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2
) ORDER BY id;

-- name: count_of_user
SELECT count(*) AS entries FROM quicktools_ledger WHERE user_id = ?;

-- name: count_users
SELECT count(*) AS users FROM users;

-- name: audit_violations
-- The invariant of every user in one pass: the ledger is summed per user first (one scan of
-- its user_id index), then joined to users and to the migration's base. Only violations are
-- returned; a negative balance is one whatever the sums say.
WITH ledger AS (
    SELECT user_id, SUM(balance_delta - purchased_delta + used_delta) AS delta, count(*) AS entries
    FROM quicktools_ledger GROUP BY user_id
)
SELECT u.id, u.email, u.credits_balance, u.credits_purchased_total, u.credits_lifetime_used,
       COALESCE(m.invariant_base, 10) AS base, COALESCE(l.delta, 0) AS delta, COALESCE(l.entries, 0) AS entries
FROM users AS u
LEFT JOIN quicktools_migrated_users AS m ON m.user_id = u.id
LEFT JOIN ledger AS l ON l.user_id = u.id
WHERE u.credits_balance < 0
   OR u.credits_balance IS NULL OR u.credits_purchased_total IS NULL OR u.credits_lifetime_used IS NULL
   OR u.credits_balance - u.credits_purchased_total + u.credits_lifetime_used
      <> COALESCE(m.invariant_base, 10) + COALESCE(l.delta, 0)
ORDER BY u.id;

-- The idempotency keys of the file being imported, so a key on two lines is found however long
-- the file (a temporary table: on disk past SQLite's cache, gone with the connection).
-- name: import_keys_create
DROP TABLE IF EXISTS temp.quicktools_import_keys;
CREATE TEMP TABLE quicktools_import_keys (key TEXT PRIMARY KEY, line INTEGER NOT NULL, fingerprint TEXT NOT NULL);
-- name: import_keys_find
SELECT line, fingerprint FROM temp.quicktools_import_keys WHERE key = ?;
-- name: import_keys_add
INSERT INTO temp.quicktools_import_keys (key, line, fingerprint) VALUES (?, ?, ?);
