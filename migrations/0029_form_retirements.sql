-- #17: retiring a form (every version) or one version, per org: the catalogue's forms are shared, so
-- one org retiring a catalogue form retires it for that org only. A retired version takes no new visits
-- and no new submissions (forms/sql/form_version_retired.sql is the one test); what was made with it
-- (visits, submissions, score cards, reports, exports) stays as it is. Forward-only: no un-retire.
CREATE TABLE form_retirements (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    form_id     uuid NOT NULL REFERENCES forms (id) ON DELETE CASCADE,
    version     integer CHECK (version > 0),  -- NULL: the whole form (every version, also later ones)
    reason      text NOT NULL DEFAULT '',
    retired_by  uuid,
    retired_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX form_retirements_key ON form_retirements (org_id, form_id, coalesce(version, 0));
