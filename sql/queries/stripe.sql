-- Statements of `stripe replay` (and of `stripe sync`, which applies events the same way).
-- Each is prepared once per run and reused for every event.

-- Taken first in the write transaction that applies events, so that two runs at once apply each
-- event once: the second waits (up to --busy-timeout) for the first to commit, then finds its
-- events recorded. SQLite's write transaction (BEGIN IMMEDIATE) already holds the database's one
-- write lock, so here it does nothing.
-- name: events_writer_lock
SELECT 1;
-- name: event_get
SELECT outcome FROM quicktools_stripe_events WHERE event_id = ?;
-- name: event_insert
INSERT INTO quicktools_stripe_events (event_id, type, created, livemode, object_id, outcome, detail, payload,
                                      first_seen_at, updated_at, api_version)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10);
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
                                          credited_by, credited_at, currency, amount_subtotal, amount_discount,
                                          amount_tax)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'quicktools', ?7, ?8, ?9, ?10, ?11);
-- What refunds and disputes need of a credited session (src/stripe/apply_lifecycle.cpp).
-- name: sessions_by_payment_intent
SELECT session_id, user_id, pack, credits, refunded_credits, amount_total, clawed_credits, purchased_taken,
       api_suspended, charge_refunded_amount, charge_refunded_at
FROM quicktools_checkout_sessions WHERE payment_intent = ? ORDER BY session_id LIMIT 2;
-- name: session_set_taken
UPDATE quicktools_checkout_sessions SET refunded_credits = ?1, clawed_credits = ?2, purchased_taken = ?3,
                                        api_suspended = ?4
WHERE session_id = ?5;
-- The refunded total of the charge as the newest charge.refunded said it (cumulative: on a tie
-- of times the larger one is the later).
-- name: session_set_charge_refunded
UPDATE quicktools_checkout_sessions
SET charge_refunded_amount = CASE WHEN charge_refunded_at IS NULL OR ?2 > charge_refunded_at THEN ?1
                                  WHEN ?2 = charge_refunded_at THEN max(charge_refunded_amount, ?1)
                                  ELSE charge_refunded_amount END,
    charge_refunded_at = max(coalesce(charge_refunded_at, ?2), ?2)
WHERE session_id = ?3;
-- A refund's newest status wins; on a tie of times, failed or canceled (they come last).
-- name: refund_upsert
INSERT INTO quicktools_refunds (refund_id, session_id, amount, status, status_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (refund_id) DO UPDATE SET amount = excluded.amount, status = excluded.status,
                                      status_at = excluded.status_at, updated_at = excluded.updated_at
WHERE excluded.status_at > quicktools_refunds.status_at
   OR (excluded.status_at = quicktools_refunds.status_at AND excluded.status IN ('failed', 'canceled'));
-- The refunded cents that count: refunds that did not fail, and failures the charge's own
-- refunded total (taken at ?2) may still include.
-- name: session_refunds
SELECT coalesce(sum(amount) FILTER (WHERE status NOT IN ('failed', 'canceled')), 0) AS active,
       coalesce(sum(amount) FILTER (WHERE status IN ('failed', 'canceled') AND status_at >= ?2), 0) AS failed_since
FROM quicktools_refunds WHERE session_id = ?1;
-- A dispute's newest status wins; withdrawn and reinstated funds, once seen, stay seen.
-- name: dispute_upsert
INSERT INTO quicktools_disputes (dispute_id, session_id, amount, reason, status, status_at, funds_withdrawn,
                                 funds_reinstated, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
ON CONFLICT (dispute_id) DO UPDATE SET
    status = CASE WHEN excluded.status_at >= quicktools_disputes.status_at THEN excluded.status
                  ELSE quicktools_disputes.status END,
    status_at = max(quicktools_disputes.status_at, excluded.status_at),
    funds_withdrawn = max(quicktools_disputes.funds_withdrawn, excluded.funds_withdrawn),
    funds_reinstated = max(quicktools_disputes.funds_reinstated, excluded.funds_reinstated),
    amount = coalesce(excluded.amount, quicktools_disputes.amount),
    reason = coalesce(excluded.reason, quicktools_disputes.reason),
    updated_at = excluded.updated_at;
-- Disputes of a session whose money is gone: lost, or withdrawn and neither reinstated nor won.
-- name: session_disputes_holding
SELECT count(*) AS holding FROM quicktools_disputes
WHERE session_id = ?1
  AND (status = 'lost' OR (funds_withdrawn = 1 AND funds_reinstated = 0 AND status <> 'won'));
-- name: dispute_get
SELECT status, funds_withdrawn, funds_reinstated FROM quicktools_disputes WHERE dispute_id = ?;
-- The user's other sessions that still count (not fully refunded): do they unlock the API?
-- name: user_other_sessions
SELECT pack FROM quicktools_checkout_sessions
WHERE user_id = ?1 AND session_id <> ?2 AND refunded_credits < credits;
-- name: migrated_api_access
SELECT new_api_access FROM quicktools_migrated_users WHERE user_id = ?;

-- name: user_ids
SELECT id FROM users;
-- name: max_user_id
SELECT max(id) AS max_id FROM users;
-- name: user_credits
SELECT credits_balance, credits_purchased_total, api_access_unlocked, typeof(credits_balance) AS balance_type,
       typeof(credits_purchased_total) AS purchased_total_type
FROM users WHERE id = ?;
-- Purchases, as the web app's own webhook writes them, for many users in one statement: ?1 is a
-- JSON array of [user id, credits its purchases add, the last one's date, the last one's
-- credits, 1 if one unlocks the API]. Only on whole numbers that stay in the 64-bit range
-- (SQLite would turn the sum into a REAL): else no row for that user, and user_purchase_refused
-- says why. Hands back each user's balance after.
-- name: users_purchase
UPDATE users SET credits_balance = credits_balance + p.credits, credits_purchased_total = credits_purchased_total + p.credits,
                 last_purchase_date = p.last_date, last_purchase_amount = p.last_amount,
                 api_access_unlocked = CASE WHEN p.api THEN 1 ELSE api_access_unlocked END
FROM (SELECT value ->> 0 AS id, value ->> 1 AS credits, value ->> 2 AS last_date, value ->> 3 AS last_amount,
             value ->> 4 AS api
      FROM json_each(?1)) AS p
WHERE users.id = p.id AND typeof(credits_balance) = 'integer' AND typeof(credits_purchased_total) = 'integer'
  AND credits_balance <= 9223372036854775807 - p.credits AND credits_purchased_total <= 9223372036854775807 - p.credits
RETURNING id, credits_balance;
-- name: user_purchase_refused
SELECT credits_balance, typeof(credits_balance) AS balance_type, credits_purchased_total,
       typeof(credits_purchased_total) AS purchased_total_type
FROM users WHERE id = ?;
-- Credits taken back (negative) or given back (positive) by a refund or dispute.
-- name: user_adjust
UPDATE users SET credits_balance = credits_balance + ?1, credits_purchased_total = credits_purchased_total + ?2
WHERE id = ?3 RETURNING credits_balance;
-- name: user_set_api
UPDATE users SET api_access_unlocked = ?2 WHERE id = ?1;

-- The cursor of `stripe sync` (and other small values) in quicktools_state.
-- name: state_get
SELECT value FROM quicktools_state WHERE name = ?;
-- name: state_put
INSERT INTO quicktools_state (name, value, updated_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
