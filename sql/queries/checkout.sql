-- name: buyer
SELECT email, stripe_customer_id FROM users WHERE id = ?;
-- A session `checkout create` made (not yet paid); a repeat with the same idempotency key
-- returns the same session and records nothing new.
-- name: record_created
INSERT INTO quicktools_checkout_created (session_id, user_id, pack, amount, livemode, idempotency_key, created_at,
                                         actor)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (session_id) DO NOTHING;
