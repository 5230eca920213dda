-- The six subscription columns, gone. On a new database (`db init`) these statements are run
-- as they are; on an existing one `db drop-deprecated` does the same with a single table
-- rewrite that also copes with indexes, views, triggers and CHECK constraints.
ALTER TABLE users DROP COLUMN subscription_tier;
ALTER TABLE users DROP COLUMN subscription_status;
ALTER TABLE users DROP COLUMN stripe_subscription_id;
ALTER TABLE users DROP COLUMN monthly_credits;
ALTER TABLE users DROP COLUMN credits_used_this_month;
ALTER TABLE users DROP COLUMN credits_reset_date;
