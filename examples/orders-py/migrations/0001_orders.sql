-- The orders system's schema. The database `orders` and its owning role are created by the testbed from the
-- system description; this file runs inside that database, as that role, in one transaction.
CREATE SCHEMA shop;

-- One row per accepted request, keyed by its idempotency key (X-Request-Id). The row is committed before the
-- order is published, so it is also the outbox: a row not yet 'fulfilled' is a promise to (re)publish it.
CREATE TABLE shop.orders (
  request_id           text PRIMARY KEY,
  order_id             text NOT NULL UNIQUE,
  customer             text NOT NULL,
  items                jsonb NOT NULL,
  note                 text,
  body_hash            text NOT NULL,  -- sha256 of the order: the same key with another order is a 409
  state                text NOT NULL DEFAULT 'accepted' CHECK (state IN ('accepted', 'published', 'fulfilled')),
  created_at           timestamptz NOT NULL DEFAULT now(),
  publish_attempted_at timestamptz NOT NULL DEFAULT now(),
  publish_attempts     integer NOT NULL DEFAULT 1,
  published_at         timestamptz,   -- the last PubAck
  fulfilled_at         timestamptz
);
-- The republisher's scan: orders not yet fulfilled, oldest publish attempt first.
CREATE INDEX orders_unfulfilled ON shop.orders (publish_attempted_at) WHERE state <> 'fulfilled';

-- The effect of fulfilling an order: at most one per order, by construction (the primary key).
CREATE TABLE shop.fulfilments (
  request_id   text PRIMARY KEY REFERENCES shop.orders (request_id),
  order_id     text NOT NULL,
  units        integer NOT NULL,
  worker       text NOT NULL,
  stream_seq   bigint NOT NULL,
  fulfilled_at timestamptz NOT NULL DEFAULT now()
);

-- Every delivery the consumer committed, in the same transaction as the effect it made or found:
-- 'effect' when that transaction created the effect, 'suppressed' when it existed already (a redelivery).
-- The integrity oracle counts 'effect' rows per order: more than one is a duplicate effect, whatever the
-- fulfilments table's key says; 'suppressed' rows are redeliveries handled correctly.
CREATE TABLE shop.deliveries (
  id           bigserial PRIMARY KEY,
  request_id   text NOT NULL,
  worker       text NOT NULL,
  stream_seq   bigint NOT NULL,
  delivered    integer NOT NULL,  -- JetStream's delivery count for that message
  outcome      text NOT NULL CHECK (outcome IN ('effect', 'suppressed')),
  committed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_request ON shop.deliveries (request_id);
