-- `user show --stripe`: what this database recorded of one user's Stripe purchases.

-- name: customer
SELECT stripe_customer_id FROM users WHERE id = ?;
-- name: sessions
SELECT session_id, pack, credits, amount_total, currency, amount_subtotal, amount_discount, amount_tax,
       payment_intent, credited_by, credited_at, refunded_credits, clawed_credits
FROM quicktools_checkout_sessions WHERE user_id = ? ORDER BY credited_at, session_id;
-- name: created
SELECT session_id, pack, amount, created_at FROM quicktools_checkout_created WHERE user_id = ? ORDER BY created_at;
-- name: session_owner
SELECT user_id FROM quicktools_checkout_sessions WHERE session_id = ?;
-- name: refunds
SELECT refund_id, amount, status FROM quicktools_refunds WHERE session_id = ? ORDER BY refund_id;
-- name: disputes
SELECT dispute_id, amount, status, funds_withdrawn, funds_reinstated FROM quicktools_disputes
WHERE session_id = ? ORDER BY dispute_id;
