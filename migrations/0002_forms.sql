-- Forms and their versions. A form with org_id NULL belongs to the shared catalogue (the seed forms,
-- visible to every org); an org's own forms carry its id. A published version never changes: the
-- trigger below refuses it even to code that forgets.

CREATE TABLE forms (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid REFERENCES orgs (id) ON DELETE CASCADE,
    key         text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (org_id, key)
);

CREATE TABLE form_versions (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    form_id       uuid NOT NULL REFERENCES forms (id) ON DELETE CASCADE,
    version       integer NOT NULL CHECK (version > 0),
    status        text NOT NULL CHECK (status IN ('draft', 'published')),
    document      jsonb NOT NULL,
    content_hash  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    UNIQUE (form_id, version),
    CHECK ((status = 'published') = (published_at IS NOT NULL))
);
-- At most one draft per form: editing a draft replaces it, publishing freezes it.
CREATE UNIQUE INDEX form_versions_one_draft ON form_versions (form_id) WHERE status = 'draft';
CREATE INDEX form_versions_hash_idx ON form_versions (form_id, content_hash);

CREATE FUNCTION refuse_published_form_version_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'published' THEN
        RAISE EXCEPTION 'form version % is published and immutable', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE TRIGGER form_versions_immutable
    BEFORE UPDATE OR DELETE ON form_versions
    FOR EACH ROW EXECUTE FUNCTION refuse_published_form_version_change();
