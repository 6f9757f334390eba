-- Recipients are kept from registration's profile events (event-carried state transfer).
CREATE TABLE recipients (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    email      text NOT NULL,
    phone      text NOT NULL DEFAULT '',
    language   text NOT NULL DEFAULT 'da',
    version    bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One message per (event, recipient, channel): the unique key makes redelivered events harmless.
CREATE TABLE messages (
    id           uuid PRIMARY KEY,
    event_id     uuid NOT NULL,
    recipient_id text NOT NULL,
    channel      text NOT NULL CHECK (channel IN ('email', 'sms', 'digital_post', 'webhook')),
    kind         text NOT NULL,
    data         jsonb NOT NULL,
    language     text,
    subject      text,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text NOT NULL DEFAULT '',
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz,
    UNIQUE (event_id, recipient_id, channel)
);
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX messages_recipient ON messages (recipient_id, created_at DESC);
