-- Lookups and the report: read-only statements over users and the tool's tables.

-- name: user_list
SELECT id, email, credits_balance, credits_purchased_total, credits_lifetime_used, api_access_unlocked,
       last_purchase_date, last_purchase_amount
FROM users
WHERE (:api IS NULL OR (api_access_unlocked <> 0) = :api)
  AND credits_purchased_total >= :purchased_from AND credits_purchased_total < :purchased_to
  AND credits_balance >= :min_balance
ORDER BY id LIMIT :limit;
-- name: user_count
SELECT count(*) AS matching FROM users
WHERE (:api IS NULL OR (api_access_unlocked <> 0) = :api)
  AND credits_purchased_total >= :purchased_from AND credits_purchased_total < :purchased_to
  AND credits_balance >= :min_balance;
-- name: migrated_user
SELECT old_tier, old_status, policy, migrated_at FROM quicktools_migrated_users WHERE user_id = ?;
-- Users and their credits per support tier; ?1, ?2, ?3 are the lower bounds of the second,
-- third and fourth tier (credits::support_tiers).
-- name: support_tiers
SELECT coalesce(sum(credits_purchased_total < ?1), 0) AS users_1,
       coalesce(sum(credits_purchased_total >= ?1 AND credits_purchased_total < ?2), 0) AS users_2,
       coalesce(sum(credits_purchased_total >= ?2 AND credits_purchased_total < ?3), 0) AS users_3,
       coalesce(sum(credits_purchased_total >= ?3), 0) AS users_4,
       coalesce(sum(CASE WHEN credits_purchased_total < ?1 THEN credits_balance END), 0) AS credits_1,
       coalesce(sum(CASE WHEN credits_purchased_total >= ?1 AND credits_purchased_total < ?2 THEN credits_balance END), 0) AS credits_2,
       coalesce(sum(CASE WHEN credits_purchased_total >= ?2 AND credits_purchased_total < ?3 THEN credits_balance END), 0) AS credits_3,
       coalesce(sum(CASE WHEN credits_purchased_total >= ?3 THEN credits_balance END), 0) AS credits_4
FROM users;
-- name: packs_bought
SELECT pack, count(*) AS sessions, coalesce(sum(credits), 0) AS credits, coalesce(sum(amount_total), 0) AS amount_total,
       coalesce(sum(refunded_credits), 0) AS refunded_credits
FROM quicktools_checkout_sessions GROUP BY pack ORDER BY pack;
