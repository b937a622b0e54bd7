-- form_version_retired(p_org, p_form_version): whether the org retired this version or its whole form
-- (migrations/0029). Visits, intake and form lists ask this one function.
CREATE OR REPLACE FUNCTION form_version_retired(p_org uuid, p_form_version uuid) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (
        SELECT 1 FROM form_versions v
        JOIN form_retirements r ON r.form_id = v.form_id AND r.org_id = p_org
                               AND (r.version IS NULL OR r.version = v.version)
        WHERE v.id = p_form_version
    )
$$;
