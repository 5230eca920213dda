-- The six credit-pack columns on users, with the defaults the web app relies on:
-- a new user starts with 10 free credits.
ALTER TABLE users ADD COLUMN credits_balance INTEGER NOT NULL DEFAULT 10;
ALTER TABLE users ADD COLUMN credits_purchased_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN credits_lifetime_used INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN api_access_unlocked BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_purchase_date DATETIME;
ALTER TABLE users ADD COLUMN last_purchase_amount INTEGER;
