-- Floor of `quicktools migrate packs` on PostgreSQL: the least work the migration can be, as
-- bare SQL (psql -d URL -f floor_migrate.postgres.sql). The six credit-pack columns as the
-- tool's sql/postgres/migrations/002 adds them (one ALTER TABLE, no rewrite: constant
-- defaults) and one set-based UPDATE with the default policy; no checks, no per-user record,
-- no backup. Prints the same summary as migrate_orm.py.
BEGIN;
ALTER TABLE users
	ADD COLUMN credits_balance BIGINT NOT NULL DEFAULT 10,
	ADD COLUMN credits_purchased_total BIGINT NOT NULL DEFAULT 0,
	ADD COLUMN credits_lifetime_used BIGINT NOT NULL DEFAULT 0,
	ADD COLUMN api_access_unlocked BOOLEAN NOT NULL DEFAULT false,
	ADD COLUMN last_purchase_date TIMESTAMP WITHOUT TIME ZONE,
	ADD COLUMN last_purchase_amount BIGINT;
UPDATE users
   SET credits_balance = greatest(monthly_credits - credits_used_this_month, 0),
       api_access_unlocked = subscription_tier IN ('pro', 'business')
                             AND subscription_status IN ('active', 'trialing');
COMMIT;
SELECT 'Total users: ' || count(*) || chr(10) ||
       'Total credits in system: ' || sum(credits_balance) || chr(10) ||
       'Users with API access: ' || count(*) FILTER (WHERE api_access_unlocked)
  FROM users;
