-- Fewer writes per record (bench workload: PostgreSQL's CPU per record was the largest share after k6's).
--
-- The foreign keys from outbox and results to records: every inserted row ran a trigger that looked its record
-- up and locked it (a query and a WAL record per row, about a quarter of the gateway's insert). Both rows are
-- written only by statements that take the id from records itself (the relay parks ids of records it stored,
-- the worker looks up the record still pending), and records are never deleted, so the keys guarded nothing.
ALTER TABLE outbox DROP CONSTRAINT outbox_record_id_fkey;
ALTER TABLE results DROP CONSTRAINT results_record_id_fkey;

-- The outbox no longer gets a row per record. A pending record is itself the durable promise to publish it:
-- the gateway publishes each batch right after its commit, and parks in the outbox only what it could not
-- publish (NATS away, a timeout); the reconciler parks records still pending a while after they were
-- accepted (what a crash lost, or a NATS server's wiped store). The relay deletes a parked row once JetStream
-- has it, so the table holds only what is still to be published.
DELETE FROM outbox WHERE published_at IS NOT NULL;
DROP INDEX outbox_unpublished;
ALTER TABLE outbox DROP COLUMN published_at;
CREATE INDEX outbox_created ON outbox (created_at);
