-- What refunds and disputes took back, by their Stripe ids, so each is taken back once in any
-- delivery order and a failed refund or a won dispute gives back exactly what was taken.
-- Only the tool's own tables change.

-- Per credited session: the amounts as Stripe charged them (the pack is identified by the
-- subtotal; the total is after discounts and tax), and what refunds and disputes took back.
-- refunded_credits (from 003) is what the session owes back now; clawed_credits and
-- purchased_taken are what was really taken from the balance and the purchased total (less
-- when the user had already spent the credits: a shortfall); api_suspended marks an API
-- unlock that this session's refund or dispute took away, to be given back with the credits.
ALTER TABLE quicktools_checkout_sessions
	ADD COLUMN currency TEXT,
	ADD COLUMN amount_subtotal BIGINT,
	ADD COLUMN amount_discount BIGINT,
	ADD COLUMN amount_tax BIGINT,
	ADD COLUMN charge_refunded_amount BIGINT NOT NULL DEFAULT 0,
	ADD COLUMN charge_refunded_at BIGINT,
	ADD COLUMN clawed_credits BIGINT NOT NULL DEFAULT 0,
	ADD COLUMN purchased_taken BIGINT NOT NULL DEFAULT 0,
	ADD COLUMN api_suspended BIGINT NOT NULL DEFAULT 0;
UPDATE quicktools_checkout_sessions SET clawed_credits = refunded_credits, purchased_taken = refunded_credits;

-- Every refund seen, with its latest status (status_at: the created time of the event that
-- said it). succeeded, pending and requires_action count; failed and canceled do not.
CREATE TABLE quicktools_refunds (
	refund_id TEXT PRIMARY KEY,
	session_id TEXT NOT NULL,
	amount BIGINT NOT NULL,
	status TEXT NOT NULL,
	status_at BIGINT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX ix_quicktools_refunds_session_id ON quicktools_refunds (session_id);

-- Every dispute seen: its latest status and whether funds were withdrawn or reinstated.
CREATE TABLE quicktools_disputes (
	dispute_id TEXT PRIMARY KEY,
	session_id TEXT NOT NULL,
	amount BIGINT,
	reason TEXT,
	status TEXT NOT NULL,
	status_at BIGINT NOT NULL,
	funds_withdrawn BIGINT NOT NULL DEFAULT 0,
	funds_reinstated BIGINT NOT NULL DEFAULT 0,
	updated_at TEXT NOT NULL
);
CREATE INDEX ix_quicktools_disputes_session_id ON quicktools_disputes (session_id);

-- Checkout Sessions that `checkout create` made, before anything is paid.
CREATE TABLE quicktools_checkout_created (
	session_id TEXT PRIMARY KEY,
	user_id BIGINT NOT NULL,
	pack TEXT NOT NULL,
	amount BIGINT NOT NULL,
	livemode BIGINT NOT NULL,
	idempotency_key TEXT,
	created_at TEXT NOT NULL,
	actor TEXT NOT NULL
);

-- The Stripe API version of each event, as Stripe rendered it.
ALTER TABLE quicktools_stripe_events ADD COLUMN api_version TEXT;
