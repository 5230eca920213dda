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
SELECT m.user_id, coalesce(u.email, '') AS email, m.old_tier AS tier, m.old_status AS status,
       m.old_subscription_id AS subscription_id
FROM quicktools_migrated_users m LEFT JOIN users u ON u.id = m.user_id
WHERE m.old_subscription_id IS NOT NULL AND m.old_status IN ('active', 'trialing', 'past_due')
  AND coalesce(m.cancel_status, '') <> 'canceled'
ORDER BY m.user_id LIMIT ?;
-- name: totals
SELECT count(*) AS users, coalesce(sum(credits_balance), 0) AS credits,
       count(*) FILTER (WHERE api_access_unlocked) AS api_users
FROM users;
-- name: user_count
SELECT count(*) AS users FROM users;
