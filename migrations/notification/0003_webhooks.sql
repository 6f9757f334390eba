-- Institutions' webhook endpoints and the deliveries of enrolment events to them (Standard Webhooks).

-- An endpoint signs with secret; after a rotation it signs with previous_secret too until
-- previous_secret_until, so receivers can switch secrets without a gap. A 410 Gone answer disables it;
-- deleting it keeps the row (and its delivery log) with status 'deleted' and the secrets cleared.
CREATE TABLE webhook_endpoints (
    id                    uuid PRIMARY KEY,
    institution_id        text NOT NULL,
    url                   text NOT NULL,
    event_types           text[] NOT NULL,
    secret                text NOT NULL,
    previous_secret       text NOT NULL DEFAULT '',
    previous_secret_until timestamptz,
    status                text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'deleted')),
    created_at            timestamptz NOT NULL,
    disabled_at           timestamptz
);
CREATE INDEX webhook_endpoints_institution ON webhook_endpoints (institution_id, created_at) WHERE status <> 'deleted';

-- One delivery per (event, endpoint); its id is the webhook-id sent on every attempt. payload is the
-- exact body sent. queued_at starts the retry window (reset by a replay); leased_until is set while a
-- worker is sending it, so a crashed worker's delivery is retried when the lease ends.
CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY,
    seq             bigserial NOT NULL UNIQUE,
    endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints (id),
    event_id        uuid NOT NULL,
    event_type      text NOT NULL,
    payload         bytea NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'gave_up')),
    attempts        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    queued_at       timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    leased_until    timestamptz,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status IN ('pending', 'failed');
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, seq);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (endpoint_id, created_at);

-- Every attempt: when, the HTTP status (NULL when there was no response), how long it took, and why it failed.
CREATE TABLE webhook_attempts (
    id           bigserial PRIMARY KEY,
    delivery_id  uuid NOT NULL REFERENCES webhook_deliveries (id),
    attempted_at timestamptz NOT NULL,
    status_code  integer,
    latency_ms   integer NOT NULL,
    error        text NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
