-- Photos, submissions (with revisions: a rejected result is corrected by a new revision, history kept),
-- per-item results, and follow-up actions opened from failed items.

CREATE TABLE photos (
    id              uuid PRIMARY KEY,
    org_id          uuid NOT NULL,
    uploaded_by     uuid NOT NULL,
    purpose         text NOT NULL CHECK (purpose IN ('submission', 'action_evidence')),
    object_key      text NOT NULL UNIQUE,      -- chosen by the server, never by the client
    content_type    text NOT NULL,             -- the type the upload slot allows
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'attached')),
    size_bytes      bigint,                    -- verified by HEAD on attach
    phash           bit(64),                   -- perceptual hash, to spot a photo reused elsewhere
    exif_latitude   double precision,
    exif_longitude  double precision,
    exif_taken_at   timestamp,                 -- EXIF carries no time zone
    redacted_key    text,                      -- EXIF-free copy for branch managers, made once
    submission_id   uuid,
    action_id       uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attached_at     timestamptz,
    FOREIGN KEY (org_id, uploaded_by) REFERENCES users (org_id, id),
    CHECK ((status = 'attached') = (attached_at IS NOT NULL))
);
CREATE INDEX photos_pending_idx ON photos (created_at) WHERE status = 'pending';
CREATE INDEX photos_submission_idx ON photos (submission_id) WHERE submission_id IS NOT NULL;
CREATE INDEX photos_org_phash_idx ON photos (org_id) WHERE phash IS NOT NULL;

CREATE TABLE submissions (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id           uuid NOT NULL,
    branch_id        uuid NOT NULL,
    visit_id         uuid REFERENCES visits (id),
    form_version_id  uuid NOT NULL REFERENCES form_versions (id),
    inspector_id     uuid NOT NULL,
    mode             text NOT NULL CHECK (mode IN ('mystery', 'announced', 'adhoc')),
    status           text NOT NULL CHECK (status IN ('submitted', 'approved', 'released', 'rejected')),
    current_revision integer NOT NULL CHECK (current_revision > 0),
    total_percent    numeric(5, 2),           -- of the current revision; NULL when nothing was scorable
    passed           boolean NOT NULL,
    visited_on       date NOT NULL,           -- the visit's date in the branch's time zone
    submitted_at     timestamptz NOT NULL DEFAULT now(),
    reviewed_by      uuid,
    reviewed_at      timestamptz,
    released_at      timestamptz,
    reject_reason    text,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, branch_id) REFERENCES branches (org_id, id),
    FOREIGN KEY (org_id, inspector_id) REFERENCES users (org_id, id),
    CHECK ((status = 'released') = (released_at IS NOT NULL)),
    CHECK (status <> 'rejected' OR reject_reason IS NOT NULL)
);
-- One submission per scheduled visit; corrections are revisions of it.
CREATE UNIQUE INDEX submissions_visit_key ON submissions (visit_id) WHERE visit_id IS NOT NULL;
CREATE INDEX submissions_branch_idx ON submissions (org_id, branch_id, visited_on);
CREATE INDEX submissions_inspector_idx ON submissions (inspector_id, submitted_at);

CREATE TABLE submission_revisions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid NOT NULL,
    submission_id   uuid NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    revision        integer NOT NULL CHECK (revision > 0),
    client_id       uuid NOT NULL,            -- made by the phone before going offline
    request_hash    text NOT NULL,            -- same client_id with another body is a conflict
    answers         jsonb NOT NULL,
    score_card      jsonb NOT NULL,
    started_at      timestamptz NOT NULL,     -- device clock
    finished_at     timestamptz NOT NULL,
    gps_latitude    double precision,
    gps_longitude   double precision,
    gps_accuracy_m  double precision,
    comment         text NOT NULL DEFAULT '',
    proof           jsonb NOT NULL,           -- proof of visit: distances, window, reused photos (QA only)
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, client_id),               -- the idempotency key, enforced by the database
    UNIQUE (submission_id, revision)
);

CREATE TABLE submission_items (
    revision_id  uuid NOT NULL REFERENCES submission_revisions (id) ON DELETE CASCADE,
    item_key     text NOT NULL,
    section_key  text NOT NULL,
    status       text NOT NULL CHECK (status IN ('pass', 'fail', 'partial', 'na', 'inapplicable', 'unscored')),
    earned       double precision NOT NULL,
    possible     double precision NOT NULL,
    PRIMARY KEY (revision_id, item_key)
);

CREATE TABLE actions (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id             uuid NOT NULL,
    branch_id          uuid NOT NULL,
    submission_id      uuid NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    revision_id        uuid NOT NULL REFERENCES submission_revisions (id) ON DELETE CASCADE,
    form_key           text NOT NULL,
    item_key           text NOT NULL,
    title_zh           text NOT NULL,
    title_en           text NOT NULL,
    priority           text NOT NULL CHECK (priority IN ('high', 'normal')),
    evidence_required  boolean NOT NULL,
    due_on             date NOT NULL,
    status             text NOT NULL DEFAULT 'open'
                       CHECK (status IN ('open', 'in_progress', 'resolved', 'verified', 'reopened', 'rechecked_ok')),
    recurrence_count   integer NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (revision_id, item_key),
    FOREIGN KEY (org_id, branch_id) REFERENCES branches (org_id, id)
);
CREATE INDEX actions_branch_status_idx ON actions (org_id, branch_id, status, due_on);

CREATE TABLE action_events (
    id           bigserial PRIMARY KEY,
    action_id    uuid NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
    actor_id     uuid,                        -- NULL: the system (e.g. a recheck on the next visit)
    kind         text NOT NULL CHECK (kind IN ('created', 'status', 'comment', 'evidence')),
    from_status  text,
    to_status    text,
    note         text NOT NULL DEFAULT '',
    photo_id     uuid REFERENCES photos (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX action_events_action_idx ON action_events (action_id, id);

ALTER TABLE photos
    ADD FOREIGN KEY (submission_id) REFERENCES submissions (id) ON DELETE SET NULL,
    ADD FOREIGN KEY (action_id) REFERENCES actions (id) ON DELETE SET NULL;
