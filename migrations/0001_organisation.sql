-- Organisation, places and people. Every business row carries its org so no query can cross orgs
-- by accident: child tables reference (org_id, id) pairs, not bare ids.

CREATE TABLE orgs (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name        text NOT NULL,
    -- per-org rules, e.g. {"mystery_revisit_days": 30, "allow_adhoc_submissions": false}
    settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE regions (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    code        text NOT NULL CHECK (code <> ''),
    name_zh     text NOT NULL,
    name_en     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, code),
    UNIQUE (org_id, id)
);

CREATE TABLE branches (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL,
    region_id   uuid NOT NULL,
    code        text NOT NULL CHECK (code <> ''),
    name_zh     text NOT NULL,
    name_en     text NOT NULL,
    timezone    text NOT NULL,
    latitude    double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude   double precision CHECK (longitude BETWEEN -180 AND 180),
    address     text NOT NULL DEFAULT '',
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, code),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, region_id) REFERENCES regions (org_id, id)
);
CREATE INDEX branches_region_idx ON branches (region_id);

CREATE TABLE users (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id         uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email          text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
    display_name   text NOT NULL,
    role           text NOT NULL CHECK (role IN ('admin', 'regional_lead', 'branch_manager', 'inspector')),
    password_hash  text NOT NULL,
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id)
);
-- One login name across the deployment: the login form has no org picker.
CREATE UNIQUE INDEX users_email_key ON users (email);

-- Scope: which regions a regional lead covers, which branches a branch manager runs.
CREATE TABLE user_regions (
    org_id     uuid NOT NULL,
    user_id    uuid NOT NULL,
    region_id  uuid NOT NULL,
    PRIMARY KEY (user_id, region_id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, region_id) REFERENCES regions (org_id, id) ON DELETE CASCADE
);

CREATE TABLE user_branches (
    org_id     uuid NOT NULL,
    user_id    uuid NOT NULL,
    branch_id  uuid NOT NULL,
    PRIMARY KEY (user_id, branch_id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, branch_id) REFERENCES branches (org_id, id) ON DELETE CASCADE
);
CREATE INDEX user_branches_branch_idx ON user_branches (branch_id);
