-- Floor of `quicktools migrate packs`: the least work the migration can be, as bare SQL
-- (sqlite3 DB < floor_migrate.sql). The six credit-pack columns and one set-based UPDATE with
-- the default policy; no checks, no per-user record, no backup. Prints the same summary as
-- migrate_orm.py.
BEGIN IMMEDIATE;
ALTER TABLE users ADD COLUMN credits_balance INTEGER NOT NULL DEFAULT 10;
ALTER TABLE users ADD COLUMN credits_purchased_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN credits_lifetime_used INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN api_access_unlocked BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_purchase_date DATETIME;
ALTER TABLE users ADD COLUMN last_purchase_amount INTEGER;
UPDATE users
   SET credits_balance = max(monthly_credits - credits_used_this_month, 0),
       api_access_unlocked = subscription_tier IN ('pro', 'business')
                             AND subscription_status IN ('active', 'trialing');
COMMIT;
SELECT 'Total users: ' || count(*) || char(10) ||
       'Total credits in system: ' || sum(credits_balance) || char(10) ||
       'Users with API access: ' || sum(api_access_unlocked)
  FROM users;
