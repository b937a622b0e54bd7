-- Scope: the one definition of which rows a caller sees, used by every feature's queries.
-- visible_branch_ids(p_org, p_user, p_role): the branches the caller may see.
--   admin           every branch of the org
--   regional_lead   the branches of the regions assigned in user_regions
--   branch_manager  the branches assigned in user_branches
--   inspector       the branches of the inspector's own visits that are not cancelled
--   reviewer        (QA, #17) the branches of the regions assigned in user_regions; a reviewer with no
--                   region assigned reviews the whole org (one QA team for a small org needs no set-up;
--                   a regional QA desk is scoped by giving it regions)
-- The user must exist in p_org, be active and hold p_role, else the set is empty: a wrong or stale
-- role can never widen what a caller sees. Rows of other orgs are never returned.
CREATE OR REPLACE FUNCTION visible_branch_ids(p_org uuid, p_user uuid, p_role text) RETURNS SETOF uuid
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
    WHERE me.role IN ('regional_lead', 'reviewer')
    UNION
    SELECT b.id FROM me JOIN branches b ON b.org_id = p_org
    WHERE me.role = 'reviewer'
      AND NOT EXISTS (SELECT 1 FROM user_regions ur WHERE ur.user_id = me.id AND ur.org_id = p_org)
    UNION
    SELECT ub.branch_id FROM me
    JOIN user_branches ub ON ub.user_id = me.id AND ub.org_id = p_org
    WHERE me.role = 'branch_manager'
    UNION
    SELECT v.branch_id FROM me
    JOIN visits v ON v.inspector_id = me.id AND v.org_id = p_org
    WHERE me.role = 'inspector' AND v.status <> 'cancelled'
$$;
