-- visible_region_ids(p_org, p_user, p_role): regions the caller may see. Admin: all of the org;
-- regional lead: the assigned regions (even with no branches yet); reviewer: the assigned regions, or
-- all of the org when none is assigned (visible_branch_ids.sql); branch manager and inspector: the
-- regions of their visible branches. Same guarantees as visible_branch_ids (visible_branch_ids.sql,
-- applied before this file: files apply in name order, and a SQL function's body is checked when
-- it is created).
CREATE OR REPLACE FUNCTION visible_region_ids(p_org uuid, p_user uuid, p_role text) RETURNS SETOF uuid
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
    WHERE me.role IN ('regional_lead', 'reviewer')
    UNION
    SELECT r.id FROM me JOIN regions r ON r.org_id = p_org
    WHERE me.role = 'reviewer'
      AND NOT EXISTS (SELECT 1 FROM user_regions ur WHERE ur.user_id = me.id AND ur.org_id = p_org)
    UNION
    SELECT b.region_id FROM branches b
    WHERE p_role IN ('branch_manager', 'inspector') AND b.org_id = p_org
      AND b.id IN (SELECT visible_branch_ids(p_org, p_user, p_role))
$$;
