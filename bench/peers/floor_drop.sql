-- Floor of `quicktools db drop-deprecated`: the six subscription columns dropped with plain
-- ALTER TABLE ... DROP COLUMN (sqlite3 DB < floor_drop.sql), in one transaction. SQLite
-- rewrites the whole table for each column, and refuses when an index, view, trigger or CHECK
-- names one of them: this is the least work only on a schema without those.
BEGIN IMMEDIATE;
ALTER TABLE users DROP COLUMN subscription_tier;
ALTER TABLE users DROP COLUMN subscription_status;
ALTER TABLE users DROP COLUMN stripe_subscription_id;
ALTER TABLE users DROP COLUMN monthly_credits;
ALTER TABLE users DROP COLUMN credits_used_this_month;
ALTER TABLE users DROP COLUMN credits_reset_date;
COMMIT;
