-- name: insert
INSERT INTO quicktools_ledger (user_id, kind, amount, balance_delta, purchased_delta, used_delta, balance_after,
                               reason, actor, source, idempotency_key, request_fingerprint, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id;
