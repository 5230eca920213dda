-- The tool's own tables. Nothing of the web app's is touched here. The same tables and columns
-- as on SQLite: BIGINT for SQLite's 64-bit INTEGER (flags stay 0/1 integers, as there), TEXT
-- times written by the tool ('YYYY-MM-DD HH:MM:SS.ffffff', compared as text), BIGSERIAL for
-- the ledger's id (SQLite's INTEGER PRIMARY KEY rowid).

-- Every change of credits the tool makes, append-only. The deltas say how each entry moved
-- the three counters of users, so `credits audit` can check, for every user,
--   balance - purchased_total + lifetime_used
--     = base + sum(balance_delta - purchased_delta + used_delta)
-- where base is quicktools_migrated_users.invariant_base for users the migration set (or
-- adopted) and 10, the sign-up grant, for everyone else. The web app's own writes (usage:
-- balance - n, used + n; its purchase webhook: balance + c, purchased + c) leave it unchanged.
CREATE TABLE quicktools_ledger (
	id BIGSERIAL PRIMARY KEY,
	user_id BIGINT NOT NULL,
	kind TEXT NOT NULL,
	amount BIGINT NOT NULL,
	balance_delta BIGINT NOT NULL,
	purchased_delta BIGINT NOT NULL DEFAULT 0,
	used_delta BIGINT NOT NULL DEFAULT 0,
	balance_after BIGINT NOT NULL,
	reason TEXT NOT NULL,
	actor TEXT NOT NULL,
	source TEXT NOT NULL,
	idempotency_key TEXT UNIQUE,
	request_fingerprint TEXT,
	created_at TEXT NOT NULL
);
CREATE INDEX ix_quicktools_ledger_user_id ON quicktools_ledger (user_id, id);
CREATE FUNCTION quicktools_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'quicktools_ledger is append-only';
END
$$;
CREATE TRIGGER quicktools_ledger_no_update BEFORE UPDATE ON quicktools_ledger
	FOR EACH ROW EXECUTE FUNCTION quicktools_ledger_append_only();
CREATE TRIGGER quicktools_ledger_no_delete BEFORE DELETE ON quicktools_ledger
	FOR EACH ROW EXECUTE FUNCTION quicktools_ledger_append_only();
CREATE TRIGGER quicktools_ledger_no_truncate BEFORE TRUNCATE ON quicktools_ledger
	FOR EACH STATEMENT EXECUTE FUNCTION quicktools_ledger_append_only();

-- What `migrate packs` set for each user, and from what.
CREATE TABLE quicktools_migrated_users (
	user_id BIGINT PRIMARY KEY,
	old_tier TEXT,
	old_status TEXT,
	old_subscription_id TEXT,
	old_monthly_credits BIGINT,
	old_used_this_month BIGINT,
	old_balance BIGINT,
	old_purchased_total BIGINT,
	old_api_access BIGINT,
	new_balance BIGINT NOT NULL,
	new_purchased_total BIGINT NOT NULL,
	new_api_access BIGINT NOT NULL,
	-- balance - purchased_total + lifetime_used right after the migration set this user
	invariant_base BIGINT NOT NULL,
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
	created BIGINT NOT NULL,
	livemode BIGINT NOT NULL,
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
	user_id BIGINT NOT NULL,
	pack TEXT NOT NULL,
	credits BIGINT NOT NULL,
	amount_total BIGINT,
	payment_intent TEXT,
	credited_by TEXT NOT NULL DEFAULT 'webapp',
	credited_at TEXT NOT NULL,
	refunded_credits BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX ix_quicktools_checkout_sessions_payment_intent ON quicktools_checkout_sessions (payment_intent);

-- Small named values: the `stripe sync` cursor and the like.
CREATE TABLE quicktools_state (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
