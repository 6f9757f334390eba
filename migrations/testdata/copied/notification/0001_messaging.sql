-- Messaging tables every service has: transactional outbox, consumer inbox, parked messages and
-- idempotency keys (see pkg/outbox, pkg/inbox, pkg/idempotency).
CREATE TABLE outbox (
    seq        bigserial PRIMARY KEY,
    event_id   uuid NOT NULL UNIQUE,
    subject    text NOT NULL,
    envelope   bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz
);
CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;

CREATE TABLE inbox (
    consumer   text NOT NULL,
    event_id   uuid NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE parked_messages (
    id         bigserial PRIMARY KEY,
    consumer   text NOT NULL,
    subject    text NOT NULL,
    payload    bytea NOT NULL,
    reason     text NOT NULL,
    deliveries integer NOT NULL,
    parked_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE idempotency_keys (
    principal    text NOT NULL,
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    status       integer NOT NULL DEFAULT 0,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key)
);
