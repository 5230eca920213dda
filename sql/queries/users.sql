-- name: by_id
SELECT id FROM users WHERE id = ?;
-- name: by_email_exact
-- Uses ix_users_email; the NOCASE lookup below has to scan it.
SELECT id FROM users WHERE email = ?;
-- name: by_email_nocase
-- Every user whose email equals ?1 when ASCII case is ignored (a few more than a message names).
SELECT id FROM users WHERE email = ?1 COLLATE NOCASE ORDER BY id LIMIT ?2;
-- name: credit_columns
SELECT id, email, credits_balance, credits_purchased_total, credits_lifetime_used, api_access_unlocked,
       last_purchase_date, last_purchase_amount,
       typeof(credits_balance) AS balance_type, typeof(credits_purchased_total) AS purchased_total_type,
       typeof(credits_lifetime_used) AS lifetime_used_type
FROM users WHERE id = ?;
