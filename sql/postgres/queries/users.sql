-- PostgreSQL's text of the statements of sql/queries/users.sql that differ there.

-- name: by_email_nocase
-- Every user whose email equals ?1 when ASCII case is ignored (SQLite's NOCASE folds ASCII
-- only; lower() would fold every letter by the server's locale).
SELECT id FROM users
WHERE translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
    = translate(?1::text, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
ORDER BY id LIMIT ?2;
-- name: credit_columns
-- The counters are BIGINT: always whole numbers. Times as the tool writes them on SQLite.
SELECT id, email, credits_balance, credits_purchased_total, credits_lifetime_used, api_access_unlocked,
       to_char(last_purchase_date, 'YYYY-MM-DD HH24:MI:SS.US') AS last_purchase_date, last_purchase_amount,
       'integer' AS balance_type, 'integer' AS purchased_total_type, 'integer' AS lifetime_used_type
FROM users WHERE id = ?;
