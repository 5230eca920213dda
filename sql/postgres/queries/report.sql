-- PostgreSQL's text of the statements of sql/queries/report.sql that differ there: the API flag
-- is a BOOLEAN, sums of comparisons are counts with a filter, times as the tool writes them.

-- name: user_list
SELECT id, email, credits_balance, credits_purchased_total, credits_lifetime_used, api_access_unlocked,
       to_char(last_purchase_date, 'YYYY-MM-DD HH24:MI:SS.US') AS last_purchase_date, last_purchase_amount
FROM users
WHERE (:api::bigint IS NULL OR api_access_unlocked = (:api <> 0))
  AND credits_purchased_total >= :purchased_from::bigint AND credits_purchased_total < :purchased_to::bigint
  AND credits_balance >= :min_balance::bigint
ORDER BY id LIMIT CASE WHEN :limit::bigint < 0 THEN NULL ELSE :limit END;
-- name: user_count
SELECT count(*) AS matching FROM users
WHERE (:api::bigint IS NULL OR api_access_unlocked = (:api <> 0))
  AND credits_purchased_total >= :purchased_from::bigint AND credits_purchased_total < :purchased_to::bigint
  AND credits_balance >= :min_balance::bigint;
-- name: support_tiers
SELECT count(*) FILTER (WHERE credits_purchased_total < ?1::bigint) AS users_1,
       count(*) FILTER (WHERE credits_purchased_total >= ?1 AND credits_purchased_total < ?2::bigint) AS users_2,
       count(*) FILTER (WHERE credits_purchased_total >= ?2 AND credits_purchased_total < ?3::bigint) AS users_3,
       count(*) FILTER (WHERE credits_purchased_total >= ?3) AS users_4,
       coalesce(sum(credits_balance) FILTER (WHERE credits_purchased_total < ?1), 0) AS credits_1,
       coalesce(sum(credits_balance) FILTER (WHERE credits_purchased_total >= ?1 AND credits_purchased_total < ?2), 0) AS credits_2,
       coalesce(sum(credits_balance) FILTER (WHERE credits_purchased_total >= ?2 AND credits_purchased_total < ?3), 0) AS credits_3,
       coalesce(sum(credits_balance) FILTER (WHERE credits_purchased_total >= ?3), 0) AS credits_4
FROM users;
