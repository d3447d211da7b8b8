-- The workload's tables: records accepted by the gateway, the outbox that carries them to JetStream, one
-- result per record (the unique key is what makes a redelivery harmless), dead letters, and every
-- processing attempt for the integrity checks.
CREATE TABLE records (
  id              uuid PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,
  payload         jsonb NOT NULL,
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'processed', 'dead')),
  traceparent     text,
  accepted_at     timestamptz NOT NULL DEFAULT now(),
  processed_at    timestamptz
);
CREATE INDEX records_pending ON records (accepted_at) WHERE state = 'pending';

CREATE TABLE outbox (
  record_id    uuid PRIMARY KEY REFERENCES records (id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (created_at) WHERE published_at IS NULL;

CREATE TABLE results (
  record_id    uuid PRIMARY KEY REFERENCES records (id),
  output       jsonb NOT NULL,
  worker       text NOT NULL,
  traceparent  text,
  processed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dead_letters (
  record_id  uuid PRIMARY KEY REFERENCES records (id),
  reason     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE processing_attempts (
  id          bigserial PRIMARY KEY,
  record_id   uuid NOT NULL,
  worker      text NOT NULL,
  delivery    integer NOT NULL,
  outcome     text NOT NULL CHECK (outcome IN ('processed', 'duplicate', 'retry', 'dead')),
  attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processing_attempts_record ON processing_attempts (record_id);
