-- Floor of `quicktools db drop-deprecated` on PostgreSQL: the six subscription columns dropped
-- with one plain ALTER TABLE ... DROP COLUMN (psql -d URL -f floor_drop.postgres.sql), in one
-- transaction. PostgreSQL only marks the columns dropped in its catalog (no rewrite: the
-- space comes back as rows are next written), and refuses when a view, rule or trigger names
-- one of them: this is the least work only on a schema without those.
BEGIN;
ALTER TABLE users
	DROP COLUMN subscription_tier,
	DROP COLUMN subscription_status,
	DROP COLUMN stripe_subscription_id,
	DROP COLUMN monthly_credits,
	DROP COLUMN credits_used_this_month,
	DROP COLUMN credits_reset_date;
COMMIT;
