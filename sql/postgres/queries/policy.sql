-- The policy of `migrate packs` on PostgreSQL as temporary functions, filled in from the loaded
-- policy by src/migrate/policy_functions.cpp (postgres_policy_sql): each {name} is replaced, and
-- the rest runs as written. LANGUAGE sql of one expression, so the planner inlines them into the
-- statements; only the refusal is plpgsql (RAISE), and it runs only on a row that is refused:
-- SQLSTATE QTP01 for a user's values, QTP02 for a tier the policy does not cover, with the
-- sentences of SQLite's functions. Where every input is within ±2^61 the arithmetic is bigint
-- and cannot overflow; elsewhere it is numeric, so nothing overflows before the 64-bit check
-- (numeric costs about twice the whole UPDATE's time, and real rows are all small numbers).
--
--   functions        the script: {tiers} the tiers covered, {credits}, {purchased} and {api}
--                    one *_when piece per tier
--   credits_when     a tier's new balance (new_balance() in C++): {credits} the policy's
--                    credits, plus what the web app added or took since `db upgrade` gave the
--                    {signup} sign-up credits, never below zero; refused where {overflow} (the
--                    policy's credits leave the 64-bit range) or the result would
--   credits_unused,  the {credits} of the rules "unused" and "full" (a fixed number is its own
--   credits_full     {credits}), and the {overflow} of "unused" (the others': no_overflow);
--                    {small} the inputs and the fixed number within ±2^61, where {small_credits}
--                    (the *_bigint piece, or the fixed number) is computed in bigint
--   purchased_when   credits_purchased_total plus the tier's {equivalent}
--   api_when         API access kept, or unlocked for a status of the tier's {statuses}
--   api_when_never   API access kept as it is (a tier that never unlocks it)
-- The pieces hold no comments: they are put inside other statements.

-- name: functions
CREATE OR REPLACE FUNCTION pg_temp.quicktools_policy_refuse(code text, message text) RETURNS bigint
LANGUAGE plpgsql AS $qt$ BEGIN RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message; END $qt$;
CREATE OR REPLACE FUNCTION pg_temp.quicktools_policy_covers(tier text) RETURNS boolean
LANGUAGE sql AS $qt$ SELECT coalesce(tier IN ({tiers}), false) $qt$;
CREATE OR REPLACE FUNCTION pg_temp.quicktools_policy_credits(tier text, monthly bigint, used bigint,
                                                             balance bigint, uid bigint) RETURNS bigint
LANGUAGE sql AS $qt$ SELECT CASE tier
{credits}ELSE pg_temp.quicktools_policy_refuse('QTP02', format('subscription tier ''%s'' is not one the policy covers', tier))
END $qt$;
CREATE OR REPLACE FUNCTION pg_temp.quicktools_policy_purchased(tier text, purchased bigint, uid bigint) RETURNS bigint
LANGUAGE sql AS $qt$ SELECT CASE tier
{purchased}ELSE pg_temp.quicktools_policy_refuse('QTP02', format('subscription tier ''%s'' is not one the policy covers', tier))
END $qt$;
CREATE OR REPLACE FUNCTION pg_temp.quicktools_policy_api(tier text, status text, api_access boolean) RETURNS boolean
LANGUAGE sql AS $qt$ SELECT CASE tier
{api}ELSE pg_temp.quicktools_policy_refuse('QTP02', format('subscription tier ''%s'' is not one the policy covers', tier)) <> 0
END $qt$;

-- name: credits_when
WHEN {tier} THEN CASE
    WHEN {small} THEN greatest({small_credits} + (coalesce(balance, 0) - {signup}), 0)
    WHEN {overflow} OR (coalesce(balance, 0)::numeric - {signup}) < (-9223372036854775807 - 1)
      OR {credits} + (coalesce(balance, 0)::numeric - {signup}) > 9223372036854775807
    THEN pg_temp.quicktools_policy_refuse('QTP01', format('user %s: the policy''s credits from monthly_credits %s, credits_used_this_month %s and credits_balance %s fall outside the 64-bit range; correct the row first; nothing was changed', uid, coalesce(monthly, 0), coalesce(used, 0), coalesce(balance, 0)))
    ELSE greatest({credits} + (coalesce(balance, 0)::numeric - {signup}), 0)::bigint
END
-- name: credits_unused
greatest(coalesce(monthly, 0)::numeric - coalesce(used, 0), 0)
-- name: overflow_unused
coalesce(monthly, 0)::numeric - coalesce(used, 0) NOT BETWEEN (-9223372036854775807 - 1) AND 9223372036854775807
-- name: credits_full
greatest(coalesce(monthly, 0)::numeric, 0)
-- name: credits_unused_bigint
greatest(coalesce(monthly, 0) - coalesce(used, 0), 0)
-- name: credits_full_bigint
greatest(coalesce(monthly, 0), 0)
-- name: small_inputs
coalesce(monthly, 0) BETWEEN -2305843009213693952 AND 2305843009213693952
      AND coalesce(used, 0) BETWEEN -2305843009213693952 AND 2305843009213693952
      AND coalesce(balance, 0) BETWEEN -2305843009213693952 AND 2305843009213693952
-- name: no_overflow
false

-- name: purchased_when
WHEN {tier} THEN CASE
    WHEN coalesce(purchased, 0) > 9223372036854775807 - {equivalent}
    THEN pg_temp.quicktools_policy_refuse('QTP01', format('user %s: credits_purchased_total %s plus the policy''s {equivalent} would pass 9223372036854775807; correct the row first; nothing was changed', uid, coalesce(purchased, 0)))
    ELSE coalesce(purchased, 0) + {equivalent}
END

-- name: api_when
WHEN {tier} THEN coalesce(api_access, false) OR coalesce(status IN ({statuses}), false)
-- name: api_when_never
WHEN {tier} THEN coalesce(api_access, false)
