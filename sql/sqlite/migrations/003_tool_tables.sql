-- The tool's own tables. Nothing of the web app's is touched here.

-- Every change of credits the tool makes, append-only. The deltas say how each entry moved
-- the three counters of users, so `credits audit` can check, for every user,
--   balance - purchased_total + lifetime_used
--     = base + sum(balance_delta - purchased_delta + used_delta)
-- where base is quicktools_migrated_users.invariant_base for users the migration set (or
-- adopted) and 10, the sign-up grant, for everyone else. The web app's own writes (usage:
-- balance - n, used + n; its purchase webhook: balance + c, purchased + c) leave it unchanged.
CREATE TABLE quicktools_ledger (
	id INTEGER PRIMARY KEY,
	user_id INTEGER NOT NULL,
	kind TEXT NOT NULL,
	amount INTEGER NOT NULL,
	balance_delta INTEGER NOT NULL,
	purchased_delta INTEGER NOT NULL DEFAULT 0,
	used_delta INTEGER NOT NULL DEFAULT 0,
	balance_after INTEGER NOT NULL,
	reason TEXT NOT NULL,
	actor TEXT NOT NULL,
	source TEXT NOT NULL,
	idempotency_key TEXT UNIQUE,
	request_fingerprint TEXT,
	created_at TEXT NOT NULL
);
CREATE INDEX ix_quicktools_ledger_user_id ON quicktools_ledger (user_id, id);
CREATE TRIGGER quicktools_ledger_no_update BEFORE UPDATE ON quicktools_ledger
BEGIN SELECT RAISE(ABORT, 'quicktools_ledger is append-only'); END;
CREATE TRIGGER quicktools_ledger_no_delete BEFORE DELETE ON quicktools_ledger
BEGIN SELECT RAISE(ABORT, 'quicktools_ledger is append-only'); END;

-- What `migrate packs` set for each user, and from what.
CREATE TABLE quicktools_migrated_users (
	user_id INTEGER PRIMARY KEY,
	old_tier TEXT,
	old_status TEXT,
	old_subscription_id TEXT,
	old_monthly_credits INTEGER,
	old_used_this_month INTEGER,
	old_balance INTEGER,
	old_purchased_total INTEGER,
	old_api_access INTEGER,
	new_balance INTEGER NOT NULL,
	new_purchased_total INTEGER NOT NULL,
	new_api_access INTEGER NOT NULL,
	-- balance - purchased_total + lifetime_used right after the migration set this user
	invariant_base INTEGER NOT NULL,
	policy TEXT NOT NULL,
	migrated_at TEXT NOT NULL,
	cancel_status TEXT,
	cancel_detail TEXT,
	cancel_updated_at TEXT
);

-- Every Stripe event the tool has seen, with what became of it.
CREATE TABLE quicktools_stripe_events (
	event_id TEXT PRIMARY KEY,
	type TEXT NOT NULL,
	created INTEGER NOT NULL,
	livemode INTEGER NOT NULL,
	object_id TEXT,
	outcome TEXT NOT NULL,
	detail TEXT,
	payload TEXT,
	first_seen_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX ix_quicktools_stripe_events_outcome ON quicktools_stripe_events (outcome);

-- Every Checkout Session credited, by the tool or by the web app's own webhook
-- (credited_by = 'webapp' when the app records it here), so each credits once.
CREATE TABLE quicktools_checkout_sessions (
	session_id TEXT PRIMARY KEY,
	user_id INTEGER NOT NULL,
	pack TEXT NOT NULL,
	credits INTEGER NOT NULL,
	amount_total INTEGER,
	payment_intent TEXT,
	credited_by TEXT NOT NULL DEFAULT 'webapp',
	credited_at TEXT NOT NULL,
	refunded_credits INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_quicktools_checkout_sessions_payment_intent ON quicktools_checkout_sessions (payment_intent);

-- Small named values: the `stripe sync` cursor and the like.
CREATE TABLE quicktools_state (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
