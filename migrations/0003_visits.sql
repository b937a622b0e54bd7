-- Visits (assignments of an inspector to a branch with a pinned form version and a time window) and
-- the scope functions every feature uses to filter rows by what the caller may see.

CREATE TABLE visits (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id           uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    branch_id        uuid NOT NULL,
    -- A PUBLISHED version (immutable), either the shared catalogue's or the org's own; the service
    -- checks both before inserting.
    form_version_id  uuid NOT NULL REFERENCES form_versions (id),
    inspector_id     uuid NOT NULL,
    mode             text NOT NULL CHECK (mode IN ('mystery', 'announced')),
    window_start     timestamptz NOT NULL,
    window_end       timestamptz NOT NULL,
    -- 'submitted' is set by the submissions feature; 'cancelled' by an admin or regional lead.
    status           text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'submitted', 'cancelled')),
    created_by       uuid NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    cancelled_by     uuid,
    cancelled_at     timestamptz,
    CHECK (window_end > window_start),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, branch_id) REFERENCES branches (org_id, id),
    FOREIGN KEY (org_id, inspector_id) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, cancelled_by) REFERENCES users (org_id, id)
);
CREATE INDEX visits_inspector_idx ON visits (inspector_id, status, window_start);
CREATE INDEX visits_branch_idx ON visits (branch_id, window_start);
CREATE INDEX visits_org_window_idx ON visits (org_id, window_start);
CREATE INDEX user_regions_region_idx ON user_regions (region_id);


-- visible_branch_ids(p_org, p_user, p_role): THE scope rule. Every read and write of branch-scoped
-- data filters with it, e.g.
--     WHERE b.org_id = $1 AND b.id IN (SELECT visible_branch_ids($1, $2, $3))
-- with $1 = principal.org_id, $2 = principal.user_id, $3 = principal.role.
--   admin           every branch of the org
--   regional_lead   the branches of the regions assigned in user_regions
--   branch_manager  the branches assigned in user_branches
--   inspector       the branches of the inspector's own visits that are not cancelled
-- The user must exist in p_org, be active and hold p_role, else the set is empty: a wrong or stale
-- role can never widen what a caller sees. Rows of other orgs are never returned.
CREATE FUNCTION visible_branch_ids(p_org uuid, p_user uuid, p_role text) RETURNS SETOF uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH me AS (
        SELECT u.id, u.role FROM users u
        WHERE u.id = p_user AND u.org_id = p_org AND u.role = p_role AND u.active
    )
    SELECT b.id FROM branches b JOIN me ON me.role = 'admin'
    WHERE b.org_id = p_org
    UNION
    SELECT b.id FROM me
    JOIN user_regions ur ON ur.user_id = me.id AND ur.org_id = p_org
    JOIN branches b ON b.region_id = ur.region_id AND b.org_id = p_org
    WHERE me.role = 'regional_lead'
    UNION
    SELECT ub.branch_id FROM me
    JOIN user_branches ub ON ub.user_id = me.id AND ub.org_id = p_org
    WHERE me.role = 'branch_manager'
    UNION
    SELECT v.branch_id FROM me
    JOIN visits v ON v.inspector_id = me.id AND v.org_id = p_org
    WHERE me.role = 'inspector' AND v.status <> 'cancelled'
$$;

-- visible_region_ids(p_org, p_user, p_role): regions the caller may see. Admin: all of the org;
-- regional lead: the assigned regions (even with no branches yet); branch manager and inspector: the
-- regions of their visible branches. Same guarantees as visible_branch_ids.
CREATE FUNCTION visible_region_ids(p_org uuid, p_user uuid, p_role text) RETURNS SETOF uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH me AS (
        SELECT u.id, u.role FROM users u
        WHERE u.id = p_user AND u.org_id = p_org AND u.role = p_role AND u.active
    )
    SELECT r.id FROM regions r JOIN me ON me.role = 'admin'
    WHERE r.org_id = p_org
    UNION
    SELECT ur.region_id FROM me
    JOIN user_regions ur ON ur.user_id = me.id AND ur.org_id = p_org
    WHERE me.role = 'regional_lead'
    UNION
    SELECT b.region_id FROM branches b
    WHERE p_role IN ('branch_manager', 'inspector') AND b.org_id = p_org
      AND b.id IN (SELECT visible_branch_ids(p_org, p_user, p_role))
$$;
