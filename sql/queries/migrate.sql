-- `migrate packs`: set-based statements over the whole users table, in id ranges for progress.
-- The policy is a set of SQL functions the tool registers on its connection
-- (src/migrate/policy_functions.hpp): quicktools_policy_credits, _purchased and _api give a user's
-- new values, quicktools_migrate_tally sums up each recorded row as it is inserted.
-- migrate_source reads users as they are in each schema state, migrate_plan computes every
-- user's new values. Nothing here is permanent except quicktools_migrated_users, the users
-- columns and the quicktools_state rows.

-- name: migration_lock
-- One migration at a time. On SQLite the write transaction (BEGIN IMMEDIATE) already is that
-- lock; PostgreSQL's variant takes an advisory lock.
SELECT 0 AS waited;
-- name: migration_run_lock
-- With --batch: one migration at a time for the whole run, across its transactions. SQLite has
-- no lock that outlives a transaction; PostgreSQL's variant takes a session-level advisory lock.
SELECT 0 AS waited;
-- name: migration_run_unlock
SELECT 0 AS released;
-- name: drop_temp
DROP VIEW IF EXISTS temp.migrate_plan;
DROP VIEW IF EXISTS temp.migrate_source;
-- name: source_legacy
-- Before `db upgrade` the credit columns do not exist yet; these are the defaults it adds.
CREATE TEMP VIEW migrate_source AS
SELECT id, email, subscription_tier AS tier, subscription_status AS status, stripe_subscription_id AS subscription_id,
       monthly_credits, credits_used_this_month AS used_this_month,
       10 AS balance, 0 AS purchased_total, 0 AS lifetime_used, 0 AS api_access
FROM main.users;
-- name: source_credit_packs
CREATE TEMP VIEW migrate_source AS
SELECT id, email, subscription_tier AS tier, subscription_status AS status, stripe_subscription_id AS subscription_id,
       monthly_credits, credits_used_this_month AS used_this_month,
       credits_balance AS balance, credits_purchased_total AS purchased_total, credits_lifetime_used AS lifetime_used,
       api_access_unlocked AS api_access
FROM main.users;
-- name: source_final
CREATE TEMP VIEW migrate_source AS
SELECT id, email, NULL AS tier, NULL AS status, NULL AS subscription_id, NULL AS monthly_credits,
       NULL AS used_this_month, credits_balance AS balance, credits_purchased_total AS purchased_total,
       credits_lifetime_used AS lifetime_used, api_access_unlocked AS api_access
FROM main.users;
-- name: plan_convert
-- New balance = the policy's credits plus whatever the web app already added or took since
-- `db upgrade` gave every user the default 10 (usage, purchases), never below zero.
CREATE TEMP VIEW migrate_plan AS
SELECT s.id AS user_id, s.email, s.tier, s.status, s.subscription_id, s.monthly_credits, s.used_this_month,
       s.balance AS old_balance, s.purchased_total AS old_purchased_total, s.api_access AS old_api_access,
       quicktools_policy_credits(s.tier, s.monthly_credits, s.used_this_month, s.balance, s.id) AS new_balance,
       quicktools_policy_purchased(s.tier, s.purchased_total, s.id) AS new_purchased_total,
       quicktools_policy_api(s.tier, s.status, s.api_access) AS new_api_access,
       s.lifetime_used
FROM temp.migrate_source s;
-- name: plan_adopt
-- An earlier script already set the credits: keep every value as it is.
CREATE TEMP VIEW migrate_plan AS
SELECT s.id AS user_id, s.email, s.tier, s.status, s.subscription_id, s.monthly_credits, s.used_this_month,
       s.balance AS old_balance, s.purchased_total AS old_purchased_total, s.api_access AS old_api_access,
       s.balance AS new_balance, s.purchased_total AS new_purchased_total, (s.api_access <> 0) AS new_api_access,
       s.lifetime_used
FROM temp.migrate_source s;
-- name: unknown_tiers
SELECT coalesce(subscription_tier, 'NULL') AS tier, count(*) AS users FROM main.users
WHERE NOT quicktools_policy_covers(subscription_tier)
GROUP BY subscription_tier ORDER BY count(*) DESC;
-- name: id_range
-- Three subqueries, so each takes its shortcut: min and max from the ends of the b-tree, count(*)
-- from the smallest index. Together in one SELECT they would read every row.
SELECT coalesce((SELECT min(id) FROM main.users), 0) AS first_id,
       coalesce((SELECT max(id) FROM main.users), 0) AS last_id, (SELECT count(*) FROM main.users) AS users;
-- name: record_users
-- Before apply_users (or instead of it, when adopting). invariant_base makes `credits audit` hold
-- from here on: the user's balance - purchased + used, less what the tool's ledger already
-- accounts for.
INSERT INTO quicktools_migrated_users (user_id, old_tier, old_status, old_subscription_id, old_monthly_credits,
       old_used_this_month, old_balance, old_purchased_total, old_api_access, new_balance, new_purchased_total,
       new_api_access, invariant_base, policy, migrated_at)
SELECT user_id, tier, status, subscription_id, monthly_credits, used_this_month, old_balance, old_purchased_total,
       old_api_access, new_balance, new_purchased_total, new_api_access,
       new_balance - new_purchased_total + lifetime_used
         - CASE WHEN :has_ledger THEN coalesce((SELECT sum(l.balance_delta - l.purchased_delta + l.used_delta)
                                                FROM quicktools_ledger l WHERE l.user_id = plan.user_id), 0)
           ELSE 0 END,
       :policy, :now
FROM temp.migrate_plan plan
WHERE user_id >= :from AND user_id < :to
  AND quicktools_migrate_tally(tier, status, subscription_id IS NOT NULL, new_balance,
                               new_api_access AND NOT old_api_access, new_api_access);
-- name: apply_users
-- Sets what the policy gives each user: the same functions the plan calls, on the same values.
UPDATE main.users SET
       credits_balance = quicktools_policy_credits(subscription_tier, monthly_credits, credits_used_this_month,
                                                   credits_balance, id),
       credits_purchased_total = quicktools_policy_purchased(subscription_tier, credits_purchased_total, id),
       api_access_unlocked = quicktools_policy_api(subscription_tier, subscription_status, api_access_unlocked)
WHERE id >= :from AND id < :to;
-- name: record_users_rest
-- record_users for a run that resumes one whose batches were partly committed (--batch): users
-- already recorded are skipped, and the breakdown is read back from the record afterwards.
INSERT INTO quicktools_migrated_users (user_id, old_tier, old_status, old_subscription_id, old_monthly_credits,
       old_used_this_month, old_balance, old_purchased_total, old_api_access, new_balance, new_purchased_total,
       new_api_access, invariant_base, policy, migrated_at)
SELECT user_id, tier, status, subscription_id, monthly_credits, used_this_month, old_balance, old_purchased_total,
       old_api_access, new_balance, new_purchased_total, new_api_access,
       new_balance - new_purchased_total + lifetime_used
         - CASE WHEN :has_ledger THEN coalesce((SELECT sum(l.balance_delta - l.purchased_delta + l.used_delta)
                                                FROM quicktools_ledger l WHERE l.user_id = plan.user_id), 0)
           ELSE 0 END,
       :policy, :now
FROM temp.migrate_plan plan
WHERE user_id >= :from AND user_id < :to
  AND NOT EXISTS (SELECT 1 FROM quicktools_migrated_users m WHERE m.user_id = plan.user_id);
-- name: apply_users_rest
-- apply_users for the users this run recorded (:now is the run's own moment).
UPDATE main.users SET
       credits_balance = quicktools_policy_credits(subscription_tier, monthly_credits, credits_used_this_month,
                                                   credits_balance, id),
       credits_purchased_total = quicktools_policy_purchased(subscription_tier, credits_purchased_total, id),
       api_access_unlocked = quicktools_policy_api(subscription_tier, subscription_status, api_access_unlocked)
WHERE id >= :from AND id < :to
  AND id IN (SELECT user_id FROM quicktools_migrated_users
             WHERE user_id >= :from AND user_id < :to AND migrated_at = :now);
-- name: record_applied
-- After apply_users, on a database this run brought out of the legacy state: the credit columns
-- were added in this transaction, so every user's old credit values are their defaults (balance
-- 10, nothing purchased or used, no API access) and the ledger is empty. Reading the new values
-- back from users costs less than computing the plan a second time.
INSERT INTO quicktools_migrated_users (user_id, old_tier, old_status, old_subscription_id, old_monthly_credits,
       old_used_this_month, old_balance, old_purchased_total, old_api_access, new_balance, new_purchased_total,
       new_api_access, invariant_base, policy, migrated_at)
SELECT id, subscription_tier, subscription_status, stripe_subscription_id, monthly_credits, credits_used_this_month,
       10, 0, 0, credits_balance, credits_purchased_total, api_access_unlocked,
       credits_balance - credits_purchased_total + credits_lifetime_used, :policy, :now
FROM main.users
WHERE id >= :from AND id < :to
  AND quicktools_migrate_tally(subscription_tier, subscription_status, stripe_subscription_id IS NOT NULL,
                               credits_balance, api_access_unlocked, api_access_unlocked);
-- name: ledger_rows
SELECT EXISTS (SELECT 1 FROM quicktools_ledger) AS has_ledger;
-- name: breakdown_plan
SELECT coalesce(tier, '') AS tier, coalesce(status, '') AS status, count(*) AS users, sum(new_balance) AS credits,
       sum(new_api_access AND NOT old_api_access) AS api_unlocks,
       sum(subscription_id IS NOT NULL AND status IN ('active', 'trialing', 'past_due')) AS billing,
       sum(new_api_access) AS api_access
FROM temp.migrate_plan GROUP BY tier, status ORDER BY tier, status;
-- name: breakdown_done
-- "billing": still billing, that is not cancelled since by `migrate packs --cancel-subscriptions`.
SELECT coalesce(old_tier, '') AS tier, coalesce(old_status, '') AS status, count(*) AS users,
       sum(new_balance) AS credits, sum(new_api_access AND NOT coalesce(old_api_access, 0)) AS api_unlocks,
       sum(old_subscription_id IS NOT NULL AND old_status IN ('active', 'trialing', 'past_due')
           AND coalesce(cancel_status, '') <> 'canceled') AS billing,
       sum(new_api_access) AS api_access
FROM quicktools_migrated_users GROUP BY old_tier, old_status ORDER BY old_tier, old_status;
-- name: totals_plan
SELECT count(*) AS users, coalesce(sum(new_balance), 0) AS credits, coalesce(sum(new_api_access), 0) AS api_users
FROM temp.migrate_plan;
-- name: billing_plan
SELECT user_id, email, tier, status, subscription_id FROM temp.migrate_plan
WHERE subscription_id IS NOT NULL AND status IN ('active', 'trialing', 'past_due')
ORDER BY user_id LIMIT ?;
-- name: billing_done
SELECT m.user_id, coalesce(u.email, '') AS email, m.old_tier AS tier, m.old_status AS status,
       m.old_subscription_id AS subscription_id
FROM quicktools_migrated_users m LEFT JOIN main.users u ON u.id = m.user_id
WHERE m.old_subscription_id IS NOT NULL AND m.old_status IN ('active', 'trialing', 'past_due')
  AND coalesce(m.cancel_status, '') <> 'canceled'
ORDER BY m.user_id LIMIT ?;
-- name: state_read
SELECT name, value FROM quicktools_state WHERE name LIKE 'migrate.packs.%';
-- name: state_write
INSERT INTO quicktools_state (name, value, updated_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
-- name: totals
SELECT count(*) AS users, coalesce(sum(credits_balance), 0) AS credits,
       coalesce(sum(api_access_unlocked <> 0), 0) AS api_users
FROM main.users;
-- name: recorded_users
SELECT count(*) AS users FROM quicktools_migrated_users;
-- name: user_count
SELECT count(*) AS users FROM main.users;
-- name: cancel_candidates
-- `migrate packs --cancel-subscriptions`: the subscriptions still recorded as billing that the
-- tool has not cancelled yet (an earlier failure is tried again).
SELECT user_id, old_subscription_id FROM quicktools_migrated_users
WHERE old_subscription_id IS NOT NULL AND old_subscription_id <> ''
  AND old_status IN ('active', 'trialing', 'past_due') AND coalesce(cancel_status, '') <> 'canceled'
ORDER BY user_id;
-- name: cancel_done_count
SELECT count(*) AS done FROM quicktools_migrated_users
WHERE old_subscription_id IS NOT NULL AND old_subscription_id <> ''
  AND old_status IN ('active', 'trialing', 'past_due') AND cancel_status = 'canceled';
-- name: cancel_record
UPDATE quicktools_migrated_users SET cancel_status = ?, cancel_detail = ?, cancel_updated_at = ? WHERE user_id = ?;
