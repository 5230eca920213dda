-- The six credit-pack columns on users, with the defaults the web app relies on:
-- a new user starts with 10 free credits. The counters are BIGINT, the 64-bit range they have
-- on SQLite (the web app's SQLAlchemy Integer reads and writes them unchanged); a database
-- whose own script added them as INTEGER holds the same values within 32 bits.
-- One statement: PostgreSQL adds columns with constant defaults without rewriting the table.
ALTER TABLE users
	ADD COLUMN credits_balance BIGINT NOT NULL DEFAULT 10,
	ADD COLUMN credits_purchased_total BIGINT NOT NULL DEFAULT 0,
	ADD COLUMN credits_lifetime_used BIGINT NOT NULL DEFAULT 0,
	ADD COLUMN api_access_unlocked BOOLEAN NOT NULL DEFAULT false,
	ADD COLUMN last_purchase_date TIMESTAMP WITHOUT TIME ZONE,
	ADD COLUMN last_purchase_amount BIGINT;
