-- name: by_id
SELECT id FROM users WHERE id = ?;
-- name: by_email_exact
-- Uses ix_users_email; the NOCASE fallback below has to scan it.
SELECT id FROM users WHERE email = ?;
-- name: by_email
SELECT id FROM users WHERE email = ? COLLATE NOCASE ORDER BY email = ? DESC LIMIT 1;
-- name: credit_columns
SELECT id, email, credits_balance, credits_purchased_total, credits_lifetime_used, api_access_unlocked,
       last_purchase_date, last_purchase_amount
FROM users WHERE id = ?;
