-- PostgreSQL's text of the statements of sql/queries/history.sql that differ there.

-- name: lock
-- One schema change at a time: held until the transaction ends, waited for up to lock_timeout.
SELECT pg_advisory_xact_lock(hashtext('quicktools.schema')::bigint);
