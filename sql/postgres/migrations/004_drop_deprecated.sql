-- The six subscription columns, gone. On a new database (`db init`) this statement is run as it
-- is; on an existing one `db drop-deprecated` runs the same ALTER TABLE in one transaction,
-- after handling what depends on the columns: without CASCADE PostgreSQL refuses to drop a
-- column that a view or rule uses, or a trigger names (UPDATE OF col, or its WHEN clause),
-- while indexes and CHECK constraints on a dropped column silently go with it (so they are
-- listed first). PostgreSQL only marks the columns dropped in the catalog: no table rewrite.
ALTER TABLE users
	DROP COLUMN subscription_tier,
	DROP COLUMN subscription_status,
	DROP COLUMN stripe_subscription_id,
	DROP COLUMN monthly_credits,
	DROP COLUMN credits_used_this_month,
	DROP COLUMN credits_reset_date;
