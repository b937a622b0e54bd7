-- Typed org settings (#17): the one way SQL reads orgs.settings. The Python side is
-- org/schemas.py OrgSettings (the same keys and defaults: tests/integration/test_org_settings.py checks
-- org_setting_defaults() against OrgSettings()) read by org/queries.py org_settings().
--   org_setting_defaults()      every setting with its default
--   org_settings(p_org)         every setting of the org: the stored value where it has the default's
--                               JSON type, else the default (a missing, null or mistyped value never
--                               leaks through); bounds are checked when PATCH /org writes
--   org_setting(p_org, p_key)   one of them (jsonb; cast at the caller, e.g. ::boolean)
CREATE OR REPLACE FUNCTION org_setting_defaults() RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT '{"mystery_revisit_days": 30, "allow_adhoc_submissions": false, "min_ranked_visits": 3,
             "show_peer_names": false}'::jsonb
$$;

CREATE OR REPLACE FUNCTION org_settings(p_org uuid) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_object_agg(d.key, CASE WHEN jsonb_typeof(o.settings -> d.key) = jsonb_typeof(d.value)
                                        THEN o.settings -> d.key ELSE d.value END)
    FROM jsonb_each(org_setting_defaults()) d
    LEFT JOIN orgs o ON o.id = p_org
$$;

CREATE OR REPLACE FUNCTION org_setting(p_org uuid, p_key text) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT org_settings(p_org) -> p_key
$$;
