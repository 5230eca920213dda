-- PostgreSQL's text of the statements of sql/queries/migrate.sql that the report and the
-- migration's read-outs use and whose shared text is SQLite's (sums of comparisons, main.,
-- the API flag a BOOLEAN). Text sorts as SQLite sorts it (bytewise, NULL first).

-- name: breakdown_done
-- "billing": still billing, that is not cancelled since by `migrate packs --cancel-subscriptions`.
SELECT coalesce(old_tier, '') AS tier, coalesce(old_status, '') AS status, count(*) AS users,
       sum(new_balance) AS credits,
       count(*) FILTER (WHERE new_api_access <> 0 AND coalesce(old_api_access, 0) = 0) AS api_unlocks,
       count(*) FILTER (WHERE old_subscription_id IS NOT NULL AND old_status IN ('active', 'trialing', 'past_due')
                          AND coalesce(cancel_status, '') <> 'canceled') AS billing,
       sum(new_api_access) AS api_access
FROM quicktools_migrated_users GROUP BY old_tier, old_status
ORDER BY old_tier COLLATE "C" NULLS FIRST, old_status COLLATE "C" NULLS FIRST;
-- name: billing_done
-- The first rows in user order, then their emails: a join of the whole table first cost 60 ms
-- for 100,000 users (the record was just written and has no statistics yet).
SELECT m.user_id, coalesce(u.email, '') AS email, m.tier, m.status, m.subscription_id
FROM (SELECT user_id, old_tier AS tier, old_status AS status, old_subscription_id AS subscription_id
      FROM quicktools_migrated_users
      WHERE old_subscription_id IS NOT NULL AND old_status IN ('active', 'trialing', 'past_due')
        AND coalesce(cancel_status, '') <> 'canceled'
      ORDER BY user_id LIMIT ?) AS m
LEFT JOIN users u ON u.id = m.user_id
ORDER BY m.user_id;
-- name: totals
SELECT count(*) AS users, coalesce(sum(credits_balance), 0) AS credits,
       count(*) FILTER (WHERE api_access_unlocked) AS api_users
FROM users;
-- name: user_count
SELECT count(*) AS users FROM users;

-- `migrate packs` itself. The policy is a set of temporary functions (policy.sql filled in with
-- the loaded policy by src/migrate/policy_functions.cpp), called as pg_temp.quicktools_policy_*;
-- a function of pg_temp is found only when named so. There is no tally function: the breakdown
-- of a run is breakdown_done over what it recorded. The API flag of users is a BOOLEAN; the record keeps
-- 0 or 1 as on SQLite.

-- name: migration_lock
-- One migration at a time: a second `migrate packs` waits here (up to --busy-timeout, the
-- session's lock_timeout) until the first commits or rolls back, then finds it done. The key is
-- the tool's own ("qtmigr" in ASCII); the lock ends with the transaction.
SELECT pg_advisory_xact_lock(125762734909810) IS NULL AS waited;
-- name: migration_run_lock
-- With --batch: the same key, held by the session from before the first batch until the run
-- ends (migration_run_unlock, or the session ending), so no other migration starts between two
-- batches. Waits as migration_lock does (lock_timeout); a transaction-level request for the key
-- waits for it too, and the session's own requests for it are granted at once.
SELECT pg_advisory_lock(125762734909810) IS NULL AS waited;
-- name: migration_run_unlock
SELECT pg_advisory_unlock(125762734909810) AS released;
-- name: cache_for_bulk_work
-- The breakdown's grouping and the plan's sort in memory.
SET LOCAL work_mem = '64MB';
-- name: drop_temp
DROP VIEW IF EXISTS pg_temp.migrate_plan;
DROP VIEW IF EXISTS pg_temp.migrate_source;
-- name: source_legacy
CREATE TEMP VIEW migrate_source AS
SELECT id, email, subscription_tier AS tier, subscription_status AS status, stripe_subscription_id AS subscription_id,
       monthly_credits, credits_used_this_month AS used_this_month,
       10::bigint AS balance, 0::bigint AS purchased_total, 0::bigint AS lifetime_used, false AS api_access
FROM users;
-- name: source_credit_packs
CREATE TEMP VIEW migrate_source AS
SELECT id, email, subscription_tier AS tier, subscription_status AS status, stripe_subscription_id AS subscription_id,
       monthly_credits, credits_used_this_month AS used_this_month,
       credits_balance AS balance, credits_purchased_total AS purchased_total, credits_lifetime_used AS lifetime_used,
       api_access_unlocked AS api_access
FROM users;
-- name: source_final
CREATE TEMP VIEW migrate_source AS
SELECT id, email, NULL::text AS tier, NULL::text AS status, NULL::text AS subscription_id,
       NULL::bigint AS monthly_credits, NULL::bigint AS used_this_month, credits_balance AS balance,
       credits_purchased_total AS purchased_total, credits_lifetime_used AS lifetime_used,
       api_access_unlocked AS api_access
FROM users;
-- name: plan_convert
CREATE TEMP VIEW migrate_plan AS
SELECT s.id AS user_id, s.email, s.tier, s.status, s.subscription_id, s.monthly_credits, s.used_this_month,
       s.balance AS old_balance, s.purchased_total AS old_purchased_total, s.api_access::int AS old_api_access,
       pg_temp.quicktools_policy_credits(s.tier, s.monthly_credits, s.used_this_month, s.balance, s.id) AS new_balance,
       pg_temp.quicktools_policy_purchased(s.tier, s.purchased_total, s.id) AS new_purchased_total,
       pg_temp.quicktools_policy_api(s.tier, s.status, s.api_access)::int AS new_api_access,
       s.lifetime_used
FROM migrate_source s;
-- name: plan_adopt
CREATE TEMP VIEW migrate_plan AS
SELECT s.id AS user_id, s.email, s.tier, s.status, s.subscription_id, s.monthly_credits, s.used_this_month,
       s.balance AS old_balance, s.purchased_total AS old_purchased_total, s.api_access::int AS old_api_access,
       s.balance AS new_balance, s.purchased_total AS new_purchased_total, s.api_access::int AS new_api_access,
       s.lifetime_used
FROM migrate_source s;
-- name: unknown_tiers
SELECT coalesce(subscription_tier, 'NULL') AS tier, count(*) AS users FROM users
WHERE NOT pg_temp.quicktools_policy_covers(subscription_tier)
GROUP BY subscription_tier ORDER BY count(*) DESC, subscription_tier COLLATE "C";
-- name: id_range
SELECT coalesce((SELECT min(id) FROM users), 0) AS first_id,
       coalesce((SELECT max(id) FROM users), 0) AS last_id, (SELECT count(*) FROM users) AS users;
-- name: record_users
-- FOR NO KEY UPDATE (the lock the UPDATE takes): the row is recorded as the web app last
-- committed it and stays so until this transaction ends, so apply_users computes the same values.
INSERT INTO quicktools_migrated_users (user_id, old_tier, old_status, old_subscription_id, old_monthly_credits,
       old_used_this_month, old_balance, old_purchased_total, old_api_access, new_balance, new_purchased_total,
       new_api_access, invariant_base, policy, migrated_at)
SELECT user_id, tier, status, subscription_id, monthly_credits, used_this_month, old_balance, old_purchased_total,
       old_api_access, new_balance, new_purchased_total, new_api_access,
       new_balance - new_purchased_total + lifetime_used
         - CASE WHEN CAST(:has_ledger AS integer) <> 0
                THEN coalesce((SELECT sum(l.balance_delta - l.purchased_delta + l.used_delta)
                               FROM quicktools_ledger l WHERE l.user_id = plan.user_id), 0)
           ELSE 0 END,
       :policy, :now
FROM migrate_plan plan
WHERE user_id >= :from AND user_id < :to
FOR NO KEY UPDATE;
-- name: apply_users
UPDATE users SET
       credits_balance = pg_temp.quicktools_policy_credits(subscription_tier, monthly_credits, credits_used_this_month,
                                                           credits_balance, id),
       credits_purchased_total = pg_temp.quicktools_policy_purchased(subscription_tier, credits_purchased_total, id),
       api_access_unlocked = pg_temp.quicktools_policy_api(subscription_tier, subscription_status, api_access_unlocked)
WHERE id >= :from AND id < :to;
-- name: record_users_rest
INSERT INTO quicktools_migrated_users (user_id, old_tier, old_status, old_subscription_id, old_monthly_credits,
       old_used_this_month, old_balance, old_purchased_total, old_api_access, new_balance, new_purchased_total,
       new_api_access, invariant_base, policy, migrated_at)
SELECT user_id, tier, status, subscription_id, monthly_credits, used_this_month, old_balance, old_purchased_total,
       old_api_access, new_balance, new_purchased_total, new_api_access,
       new_balance - new_purchased_total + lifetime_used
         - CASE WHEN CAST(:has_ledger AS integer) <> 0
                THEN coalesce((SELECT sum(l.balance_delta - l.purchased_delta + l.used_delta)
                               FROM quicktools_ledger l WHERE l.user_id = plan.user_id), 0)
           ELSE 0 END,
       :policy, :now
FROM migrate_plan plan
WHERE user_id >= :from AND user_id < :to
  AND NOT EXISTS (SELECT 1 FROM quicktools_migrated_users m WHERE m.user_id = plan.user_id)
FOR NO KEY UPDATE OF plan;
-- name: apply_users_rest
UPDATE users SET
       credits_balance = pg_temp.quicktools_policy_credits(subscription_tier, monthly_credits, credits_used_this_month,
                                                           credits_balance, id),
       credits_purchased_total = pg_temp.quicktools_policy_purchased(subscription_tier, credits_purchased_total, id),
       api_access_unlocked = pg_temp.quicktools_policy_api(subscription_tier, subscription_status, api_access_unlocked)
WHERE id >= :from AND id < :to
  AND id IN (SELECT user_id FROM quicktools_migrated_users
             WHERE user_id >= :from AND user_id < :to AND migrated_at = :now);
-- name: record_applied
-- The credit columns were added in this transaction (ALTER TABLE holds users until it ends).
INSERT INTO quicktools_migrated_users (user_id, old_tier, old_status, old_subscription_id, old_monthly_credits,
       old_used_this_month, old_balance, old_purchased_total, old_api_access, new_balance, new_purchased_total,
       new_api_access, invariant_base, policy, migrated_at)
SELECT id, subscription_tier, subscription_status, stripe_subscription_id, monthly_credits, credits_used_this_month,
       10, 0, 0, credits_balance, credits_purchased_total, api_access_unlocked::int,
       credits_balance - credits_purchased_total + credits_lifetime_used, :policy, :now
FROM users
WHERE id >= :from AND id < :to;
-- name: breakdown_plan
SELECT coalesce(tier, '') AS tier, coalesce(status, '') AS status, count(*) AS users, sum(new_balance) AS credits,
       count(*) FILTER (WHERE new_api_access <> 0 AND old_api_access = 0) AS api_unlocks,
       count(*) FILTER (WHERE subscription_id IS NOT NULL AND status IN ('active', 'trialing', 'past_due')) AS billing,
       sum(new_api_access) AS api_access
FROM migrate_plan GROUP BY tier, status
ORDER BY tier COLLATE "C" NULLS FIRST, status COLLATE "C" NULLS FIRST;
-- name: totals_plan
SELECT count(*) AS users, coalesce(sum(new_balance), 0) AS credits, coalesce(sum(new_api_access), 0) AS api_users
FROM migrate_plan;
-- name: billing_plan
SELECT user_id, email, tier, status, subscription_id FROM migrate_plan
WHERE subscription_id IS NOT NULL AND status IN ('active', 'trialing', 'past_due')
ORDER BY user_id LIMIT ?;
