-- Issue #17, scheduling programmes (inspect_api/programmes): a programme generates visits ahead of time
-- (occurrences: one visits row per programme x branch x period x n), which admins and regional leads
-- assign or inspectors claim from a job board; a visit whose window passes with no submission becomes
-- 'missed' (a periodic job).

CREATE TABLE programmes (
    id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id                    uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name                      text NOT NULL CHECK (name <> ''),
    -- The form by key (the org's own, else the catalogue's); each occurrence pins the latest published
    -- version when it is generated.
    form_id                   uuid NOT NULL REFERENCES forms (id),
    mode                      text NOT NULL CHECK (mode IN ('mystery', 'announced')),
    -- 'region': every active branch of region_id at generation time; 'list': programme_branches
    -- (an explicit list or a CSV of branch codes, resolved when saved).
    branch_rule               text NOT NULL CHECK (branch_rule IN ('region', 'list')),
    region_id                 uuid,
    period_kind               text NOT NULL CHECK (period_kind IN ('month', 'quarter')),
    visits_per_period         integer NOT NULL CHECK (visits_per_period BETWEEN 1 AND 31),
    -- ISO weekdays (1 = Monday .. 7 = Sunday) and local hours, in each branch's own time zone.
    days_of_week              smallint[] NOT NULL CHECK (cardinality(days_of_week) BETWEEN 1 AND 7
                                                         AND days_of_week <@ ARRAY[1, 2, 3, 4, 5, 6, 7]::smallint[]),
    window_start_time         time NOT NULL,
    window_end_time           time NOT NULL,
    starts_on                 date NOT NULL,
    ends_on                   date,
    -- At most this many of the programme's visits per inspector per period (NULL: no cap).
    inspector_cap_per_period  integer CHECK (inspector_cap_per_period BETWEEN 1 AND 1000),
    status                    text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    paused_at                 timestamptz,
    created_by                uuid NOT NULL,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    CHECK (window_end_time > window_start_time),
    CHECK (ends_on IS NULL OR ends_on >= starts_on),
    CHECK ((branch_rule = 'region') = (region_id IS NOT NULL)),
    CHECK ((status = 'paused') = (paused_at IS NOT NULL)),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, region_id) REFERENCES regions (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id)
);
CREATE INDEX programmes_org_idx ON programmes (org_id, created_at);

CREATE TABLE programme_branches (
    org_id        uuid NOT NULL,
    programme_id  uuid NOT NULL,
    branch_id     uuid NOT NULL,
    PRIMARY KEY (programme_id, branch_id),
    FOREIGN KEY (org_id, programme_id) REFERENCES programmes (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, branch_id) REFERENCES branches (org_id, id)
);
CREATE INDEX programme_branches_branch_idx ON programme_branches (branch_id);

-- Occurrences are visits: an unassigned one (inspector_id NULL) is a job on the board. A one-off visit
-- still names its inspector.
ALTER TABLE visits
    ALTER COLUMN inspector_id DROP NOT NULL,
    ADD COLUMN programme_id uuid,
    ADD COLUMN period_start date,
    ADD COLUMN occurrence_n integer,
    ADD COLUMN assigned_at timestamptz,
    ADD COLUMN missed_at timestamptz,
    ADD CONSTRAINT visits_programme_fkey FOREIGN KEY (org_id, programme_id) REFERENCES programmes (org_id, id),
    ADD CONSTRAINT visits_occurrence_check CHECK (
        (programme_id IS NULL AND period_start IS NULL AND occurrence_n IS NULL)
        OR (programme_id IS NOT NULL AND period_start IS NOT NULL AND occurrence_n >= 1)),
    ADD CONSTRAINT visits_inspector_check CHECK (inspector_id IS NOT NULL OR programme_id IS NOT NULL),
    -- a late submission (a phone offline past the window) still lands: submitted keeps missed_at
    ADD CONSTRAINT visits_missed_check CHECK (status <> 'missed' OR missed_at IS NOT NULL);
ALTER TABLE visits DROP CONSTRAINT visits_status_check;
ALTER TABLE visits ADD CONSTRAINT visits_status_check
    CHECK (status IN ('scheduled', 'submitted', 'cancelled', 'missed'));
-- Generation is idempotent: one row per programme x branch x period x n, whatever runs it twice.
CREATE UNIQUE INDEX visits_occurrence_key ON visits (programme_id, branch_id, period_start, occurrence_n)
    WHERE programme_id IS NOT NULL;
-- The job board: open occurrences by window.
CREATE INDEX visits_open_jobs_idx ON visits (org_id, window_start) WHERE inspector_id IS NULL AND status = 'scheduled';
-- The missed-visit job: scheduled visits by window end.
CREATE INDEX visits_scheduled_end_idx ON visits (window_end) WHERE status = 'scheduled';
