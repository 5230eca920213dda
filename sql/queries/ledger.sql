-- name: insert
INSERT INTO quicktools_ledger (user_id, kind, amount, balance_delta, purchased_delta, used_delta, balance_after,
                               reason, actor, source, idempotency_key, request_fingerprint, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);
-- The same, handing back the new entry's id (RETURNING costs a little per row: bulk work that
-- needs no id uses the one above).
-- name: insert_returning_id
INSERT INTO quicktools_ledger (user_id, kind, amount, balance_delta, purchased_delta, used_delta, balance_after,
                               reason, actor, source, idempotency_key, request_fingerprint, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
RETURNING id;
