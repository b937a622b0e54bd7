-- Issue #16: the outbox (events), webhook endpoints and their deliveries, and the audit log.
-- Tables only; the functions and triggers live in inspect_api/{events,webhooks,audit}/sql/.

-- One row per state change, written in the transaction that makes the change (events/__init__.py:
-- why (xid, id) orders the feed and subject_seq orders one subject's events).
CREATE TABLE events (
    id             bigserial PRIMARY KEY,
    xid            xid8 NOT NULL DEFAULT pg_current_xact_id(),
    org_id         uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    type           text NOT NULL CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
    subject_id     uuid NOT NULL,
    subject_seq    bigint NOT NULL CHECK (subject_seq > 0),
    -- No foreign keys: an event outlives a deleted branch; both are the values as of the commit.
    branch_id      uuid,
    region_id      uuid,
    payload        jsonb NOT NULL,      -- the snapshot as an admin sees it
    branch_payload jsonb,               -- the branch manager's shape; NULL: not shown to branch managers
    occurred_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_feed ON events (org_id, xid, id);
CREATE INDEX events_subject ON events (subject_id, subject_seq);

CREATE TABLE webhook_endpoints (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id              uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    url                 text NOT NULL CHECK (url ~ '^https?://'),
    description         text NOT NULL DEFAULT '',
    event_types         text[] NOT NULL DEFAULT '{}',   -- empty: every type
    branch_ids          uuid[] NOT NULL DEFAULT '{}',   -- empty (with region_ids): every branch
    region_ids          uuid[] NOT NULL DEFAULT '{}',
    shape               text NOT NULL CHECK (shape IN ('admin', 'branch_manager')),
    secret              text NOT NULL CHECK (secret LIKE 'whsec_%'),
    previous_secret     text CHECK (previous_secret LIKE 'whsec_%'),
    previous_secret_until timestamptz,
    enabled             boolean NOT NULL DEFAULT true,
    disabled_reason     text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((previous_secret IS NULL) = (previous_secret_until IS NULL))
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id) WHERE enabled;

-- One message (one webhook-id) per event and endpoint; retries and redeliveries reuse it.
CREATE TABLE webhook_deliveries (
    id              bigserial PRIMARY KEY,
    message_id      uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    subject_id      uuid NOT NULL,
    subject_seq     bigint NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    leased_until    timestamptz,   -- a worker is delivering it; another may take it after this
    last_status     integer,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_subject ON webhook_deliveries (endpoint_id, subject_id, subject_seq)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, id);

CREATE TABLE webhook_attempts (
    id               bigserial PRIMARY KEY,
    delivery_id      bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at     timestamptz NOT NULL DEFAULT now(),
    status_code      integer,
    error            text,
    latency_ms       integer NOT NULL CHECK (latency_ms >= 0),
    response_excerpt text NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- Append-only (audit/sql/audit_append_only.sql refuses UPDATE and DELETE). No foreign keys: the record
-- outlives the users and rows it names. org_id is NULL for a failed login naming no known account.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    org_id      uuid,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid,
    actor_role  text,
    action      text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    target_type text,
    target_id   text,
    before      jsonb,
    after       jsonb,
    request_id  text,
    client_addr text
);
CREATE INDEX audit_log_org_at ON audit_log (org_id, at, id);
