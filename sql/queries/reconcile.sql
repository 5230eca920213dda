-- Statements of `stripe reconcile` and `credits refund-purchase` (src/stripe/reconcile.cpp,
-- src/stripe/refund_purchase.cpp). What they write goes through the replay's own statements.

-- name: session_recorded
SELECT 1 FROM quicktools_checkout_sessions WHERE session_id = ?;
-- Sessions credited at or after a time (credited_at is the web app's DATETIME text).
-- name: sessions_credited_since
SELECT session_id, user_id, pack FROM quicktools_checkout_sessions WHERE credited_at >= ? ORDER BY session_id;
-- name: refund_get
SELECT amount, status FROM quicktools_refunds WHERE refund_id = ?;
-- name: dispute_get
SELECT status, funds_withdrawn, funds_reinstated FROM quicktools_disputes WHERE dispute_id = ?;

-- A credited session by its id or its payment intent, with what was paid and refunded.
-- name: purchase_by_session
SELECT session_id, payment_intent, user_id, pack, credits, amount_total, currency, refunded_credits,
       charge_refunded_amount, charge_refunded_at
FROM quicktools_checkout_sessions WHERE session_id = ?;
-- name: purchase_by_payment_intent
SELECT session_id, payment_intent, user_id, pack, credits, amount_total, currency, refunded_credits,
       charge_refunded_amount, charge_refunded_at
FROM quicktools_checkout_sessions WHERE payment_intent = ? ORDER BY session_id LIMIT 2;
-- The refunded cents that count (as the replay's session_refunds): refunds that did not fail,
-- and failures the charge's own refunded total (taken at ?2) may still include.
-- name: purchase_refunded
SELECT coalesce(sum(amount) FILTER (WHERE status NOT IN ('failed', 'canceled')), 0) AS active,
       coalesce(sum(amount) FILTER (WHERE status IN ('failed', 'canceled') AND status_at >= ?2), 0) AS failed_since
FROM quicktools_refunds WHERE session_id = ?1;
-- name: user_balance
SELECT credits_balance FROM users WHERE id = ?;
