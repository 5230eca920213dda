-- Statements of `db drop-deprecated`.
-- name: migration_done
-- Set by `migrate packs` when it finishes (or adopts a conversion done earlier by a script).
SELECT EXISTS (SELECT 1 FROM quicktools_state WHERE name = 'migrate.packs.completed_at')
    OR EXISTS (SELECT 1 FROM quicktools_ledger WHERE kind = 'opening');
-- name: active_subscriptions
-- Users whose Stripe subscription is still recorded as billing, unless the tool cancelled it.
SELECT u.id FROM users u
LEFT JOIN quicktools_migrated_users m ON m.user_id = u.id
WHERE coalesce(u.stripe_subscription_id, '') <> ''
  AND u.subscription_status IN ('active', 'trialing', 'past_due')
  AND coalesce(m.cancel_status, '') <> 'canceled'
ORDER BY u.id;
