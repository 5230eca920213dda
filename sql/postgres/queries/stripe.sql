-- PostgreSQL's text of the statements of sql/queries/stripe.sql whose shared text is SQLite's:
-- IS NOT on values (IS DISTINCT FROM here), the two-argument max() (greatest()), typeof (the
-- counters are BIGINT: always whole numbers), the API flag a BOOLEAN, and an overflow guard
-- computed in numeric so that the guard itself cannot overflow; and the lock that makes runs that
-- apply events take turns.

-- name: events_writer_lock
-- A transaction-level advisory lock (the key is this statement's own: 'qt-event' in ASCII),
-- waited for up to lock_timeout (--busy-timeout) and held until COMMIT or ROLLBACK: the runs
-- that apply events take turns, as SQLite's one writer at a time. The web app never takes it.
SELECT pg_advisory_xact_lock(8175209137385598580);
-- name: event_update
UPDATE quicktools_stripe_events SET outcome = ?1, detail = ?2, payload = ?3, updated_at = ?4
WHERE event_id = ?5 AND (outcome IS DISTINCT FROM ?1 OR detail IS DISTINCT FROM ?2);
-- name: session_set_charge_refunded
UPDATE quicktools_checkout_sessions
SET charge_refunded_amount = CASE WHEN charge_refunded_at IS NULL OR ?2::bigint > charge_refunded_at THEN ?1::bigint
                                  WHEN ?2 = charge_refunded_at THEN greatest(charge_refunded_amount, ?1)
                                  ELSE charge_refunded_amount END,
    charge_refunded_at = greatest(coalesce(charge_refunded_at, ?2), ?2)
WHERE session_id = ?3;
-- name: dispute_upsert
INSERT INTO quicktools_disputes (dispute_id, session_id, amount, reason, status, status_at, funds_withdrawn,
                                 funds_reinstated, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
ON CONFLICT (dispute_id) DO UPDATE SET
    status = CASE WHEN excluded.status_at >= quicktools_disputes.status_at THEN excluded.status
                  ELSE quicktools_disputes.status END,
    status_at = greatest(quicktools_disputes.status_at, excluded.status_at),
    funds_withdrawn = greatest(quicktools_disputes.funds_withdrawn, excluded.funds_withdrawn),
    funds_reinstated = greatest(quicktools_disputes.funds_reinstated, excluded.funds_reinstated),
    amount = coalesce(excluded.amount, quicktools_disputes.amount),
    reason = coalesce(excluded.reason, quicktools_disputes.reason),
    updated_at = excluded.updated_at;
-- name: user_credits
SELECT credits_balance, credits_purchased_total, api_access_unlocked, 'integer' AS balance_type,
       'integer' AS purchased_total_type
FROM users WHERE id = ?;
-- A purchase, as the web app's own webhook writes it; no row when a counter would leave the
-- 64-bit range, and user_purchase_refused says why.
-- name: user_purchase
UPDATE users SET credits_balance = credits_balance + ?1::bigint, credits_purchased_total = credits_purchased_total + ?1,
                 last_purchase_date = ?2::timestamp, last_purchase_amount = ?1,
                 api_access_unlocked = CASE WHEN ?3::bigint <> 0 THEN true ELSE api_access_unlocked END
WHERE id = ?4
  AND credits_balance::numeric + ?1::numeric <= 9223372036854775807
  AND credits_purchased_total::numeric + ?1::numeric <= 9223372036854775807
RETURNING credits_balance;
-- name: user_purchase_refused
SELECT credits_balance, 'integer' AS balance_type, credits_purchased_total, 'integer' AS purchased_total_type
FROM users WHERE id = ?;
