-- PostgreSQL's text of the statements of sql/queries/stripe.sql whose shared text is SQLite's:
-- IS NOT on values (IS DISTINCT FROM here), the two-argument max() (greatest()), typeof (the
-- counters are BIGINT: always whole numbers), the API flag a BOOLEAN, and an overflow guard
-- computed in numeric so that the guard itself cannot overflow; JSON arrays read with
-- json_array_elements (json_each there); and the lock that makes runs that apply events take
-- turns.

-- name: events_writer_lock
-- A transaction-level advisory lock (the key is this statement's own: 'qt-event' in ASCII),
-- waited for up to lock_timeout (--busy-timeout) and held until COMMIT or ROLLBACK: the runs
-- that apply events take turns, as SQLite's one writer at a time. The web app never takes it.
SELECT pg_advisory_xact_lock(8175209137385598580);
-- What is stored of a batch's events and checkout sessions (?1, ?2: JSON arrays of ids), read
-- once per batch instead of once per event: each statement is a round trip to the server. (Only
-- PostgreSQL's: on SQLite a lookup costs less than reading the batch's ids this way.)
-- name: events_and_sessions_stored
SELECT 'event' AS kind, event_id AS id, outcome AS value FROM quicktools_stripe_events
WHERE event_id = ANY (ARRAY(SELECT json_array_elements_text(?1::json)))
UNION ALL
SELECT 'session', session_id, credited_by FROM quicktools_checkout_sessions
WHERE session_id = ANY (ARRAY(SELECT json_array_elements_text(?2::json)));
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
-- name: users_purchase
UPDATE users AS u
SET credits_balance = u.credits_balance + p.credits, credits_purchased_total = u.credits_purchased_total + p.credits,
    last_purchase_date = p.last_date::timestamp, last_purchase_amount = p.last_amount,
    api_access_unlocked = u.api_access_unlocked OR p.api
FROM (SELECT (e ->> 0)::bigint AS id, (e ->> 1)::bigint AS credits, e ->> 2 AS last_date,
             (e ->> 3)::bigint AS last_amount, (e ->> 4) = '1' AS api
      FROM json_array_elements(?1::json) AS e) AS p
WHERE u.id = p.id
  AND u.credits_balance::numeric + p.credits <= 9223372036854775807
  AND u.credits_purchased_total::numeric + p.credits <= 9223372036854775807
RETURNING u.id, u.credits_balance;
-- name: user_purchase_refused
SELECT credits_balance, 'integer' AS balance_type, credits_purchased_total, 'integer' AS purchased_total_type
FROM users WHERE id = ?;
