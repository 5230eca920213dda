-- Statements of `stripe replay` (and of `stripe sync`, which applies events the same way).
-- Each is prepared once per run and reused for every event.

-- name: event_get
SELECT outcome FROM quicktools_stripe_events WHERE event_id = ?;
-- name: event_insert
INSERT INTO quicktools_stripe_events (event_id, type, created, livemode, object_id, outcome, detail, payload,
                                      first_seen_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9);
-- An event tried again: only rewritten when what became of it changed, so replaying the same
-- stream twice leaves the table as it was.
-- name: event_update
UPDATE quicktools_stripe_events SET outcome = ?1, detail = ?2, payload = ?3, updated_at = ?4
WHERE event_id = ?5 AND (outcome IS NOT ?1 OR detail IS NOT ?2);
-- One page of them at a time, after the last (created, event_id) seen.
-- name: events_needing_attention
SELECT created, event_id, payload FROM quicktools_stripe_events
WHERE outcome = 'needs_attention' AND payload IS NOT NULL AND (created, event_id) > (?1, ?2)
ORDER BY created, event_id LIMIT ?3;

-- name: session_credited_by
SELECT credited_by FROM quicktools_checkout_sessions WHERE session_id = ?;
-- name: session_insert
INSERT INTO quicktools_checkout_sessions (session_id, user_id, pack, credits, amount_total, payment_intent,
                                          credited_by, credited_at)
VALUES (?, ?, ?, ?, ?, ?, 'quicktools', ?);
-- name: sessions_by_payment_intent
SELECT session_id, user_id, pack, credits, refunded_credits FROM quicktools_checkout_sessions
WHERE payment_intent = ? ORDER BY session_id LIMIT 2;
-- name: session_set_refunded
UPDATE quicktools_checkout_sessions SET refunded_credits = ? WHERE session_id = ?;
-- The user's other sessions that still count (not fully refunded): do they unlock the API?
-- name: user_other_sessions
SELECT pack FROM quicktools_checkout_sessions
WHERE user_id = ?1 AND session_id <> ?2 AND refunded_credits < credits;
-- name: migrated_api_access
SELECT new_api_access FROM quicktools_migrated_users WHERE user_id = ?;

-- name: user_by_id
SELECT id FROM users WHERE id = ?;
-- name: user_ids
SELECT id FROM users;
-- name: user_by_email
SELECT id FROM users WHERE email = ?1 COLLATE NOCASE ORDER BY email = ?1 DESC LIMIT 1;
-- name: user_credits
SELECT credits_balance, credits_purchased_total, api_access_unlocked FROM users WHERE id = ?;
-- A purchase, as the web app's own webhook writes it.
-- name: user_purchase
UPDATE users SET credits_balance = credits_balance + ?1, credits_purchased_total = credits_purchased_total + ?1,
                 last_purchase_date = ?2, last_purchase_amount = ?1,
                 api_access_unlocked = CASE WHEN ?3 THEN 1 ELSE api_access_unlocked END
WHERE id = ?4 RETURNING credits_balance;
-- name: user_refund
UPDATE users SET credits_balance = credits_balance - ?1, credits_purchased_total = credits_purchased_total - ?2
WHERE id = ?3 RETURNING credits_balance;
-- name: user_revoke_api
UPDATE users SET api_access_unlocked = 0 WHERE id = ?;

-- The cursor of `stripe sync` (and other small values) in quicktools_state.
-- name: state_get
SELECT value FROM quicktools_state WHERE name = ?;
-- name: state_put
INSERT INTO quicktools_state (name, value, updated_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
