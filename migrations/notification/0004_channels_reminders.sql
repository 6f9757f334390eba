-- Channels, preferences, fallbacks and reminders (SMS and Digital Post next to e-mail).

-- A citizen's own choices: the language to write in (NULL: the profile's) and, per kind of message,
-- the channels to use ({"enrolment_confirmed": ["email", "sms"]}; a kind not named goes by e-mail).
CREATE TABLE preferences (
    recipient_id text PRIMARY KEY,
    language     text CHECK (language IN ('da', 'en')),
    channels     jsonb NOT NULL DEFAULT '{}',
    updated_at   timestamptz NOT NULL
);

-- seq orders the administrators' delivery view; must_arrive messages are tried on the next channel
-- when they fail for good (fallback_of names the message that failed); permanent_failure tells a
-- refusal (an SMTP 5xx bounce, an invalid phone number) from retries running out; reminder_id names
-- the reminder a message was made for; provider_ref is the provider's reference (a file, a Message-ID).
ALTER TABLE messages
    ADD COLUMN seq bigserial,
    ADD COLUMN must_arrive boolean NOT NULL DEFAULT false,
    ADD COLUMN permanent_failure boolean NOT NULL DEFAULT false,
    ADD COLUMN fallback_of uuid REFERENCES messages (id),
    ADD COLUMN reminder_id uuid,
    ADD COLUMN provider_ref text NOT NULL DEFAULT '';
-- cancelled: a reminder's message that was no longer true when its turn came (e.g. an SMS held over
-- quiet hours for an enrolment that was cancelled meanwhile).
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled'));
CREATE UNIQUE INDEX messages_seq ON messages (seq);
CREATE INDEX messages_reminder ON messages (reminder_id) WHERE reminder_id IS NOT NULL;
CREATE INDEX messages_event_recipient ON messages (event_id, recipient_id);

-- What notification knows of each enrolment and course run, from registration's events (the newest
-- version wins), so that reminders can be scheduled from course data and dropped when the state changes.
CREATE TABLE enrolments (
    id         text PRIMARY KEY,
    citizen_id text NOT NULL,
    course_id  text NOT NULL,
    status     text NOT NULL,
    version    bigint NOT NULL,
    data       jsonb NOT NULL, -- the newest event's data (course facts, funding summary, offer expiry)
    updated_at timestamptz NOT NULL
);
CREATE INDEX enrolments_course ON enrolments (course_id);

CREATE TABLE course_runs (
    id         text PRIMARY KEY,
    version    bigint NOT NULL,
    course     jsonb NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Referrals from funding's events; they carry no version, so a status only moves forward
-- (open, then accepted, then declined / expired / withdrawn).
CREATE TABLE referrals (
    id         text PRIMARY KEY,
    citizen_id text NOT NULL,
    status     text NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Reminders, scheduled in the transaction of the event that calls for them. At due_at one is sent if
-- its subject (an enrolment or a referral) still has expect_status (and expect_version, when set) and
-- expires_at has not passed; otherwise it is cancelled with a note. A reminder is sent by queueing
-- messages (event_id = the reminder's id) or, for an institution, a webhook delivery.
CREATE TABLE reminders (
    id             uuid PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('course_start_7d', 'course_start_1d', 'offer_expires',
                       'referral_expires', 'institution_answer_due')),
    subject_id     text NOT NULL,
    recipient_id   text NOT NULL, -- a citizen, or an institution for institution_answer_due
    event_id       uuid NOT NULL, -- the event that scheduled it
    due_at         timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    expect_status  text NOT NULL,
    expect_version bigint,
    data           jsonb NOT NULL,
    status         text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'sent', 'cancelled')),
    note           text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    done_at        timestamptz,
    UNIQUE (subject_id, kind, event_id)
);
CREATE INDEX reminders_due ON reminders (due_at) WHERE status = 'scheduled';
CREATE INDEX reminders_subject ON reminders (subject_id);
