-- #17: QA's comments on a submission or one of its items, and the on-hold review state.
-- A comment is QA's (admin or reviewer); one marked share_with_branch is shown to the branch's managers
-- once the result is released, as text and a date only (never its author or exact time).
CREATE TABLE review_comments (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id             uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    submission_id      uuid NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    item_key           text CHECK (item_key IS NULL OR length(item_key) BETWEEN 1 AND 200),  -- NULL: the whole result
    body               text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    share_with_branch  boolean NOT NULL DEFAULT false,
    author_id          uuid NOT NULL REFERENCES users (id),
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_comments_submission_idx ON review_comments (submission_id, created_at, id);

-- On hold: a flag beside the review status (submitted or approved results only; the service checks),
-- so every feature reading submissions.status keeps working. A held result cannot be released.
ALTER TABLE submissions
    ADD COLUMN held_at timestamptz,
    ADD COLUMN held_by uuid,
    ADD COLUMN hold_reason text,
    ADD CONSTRAINT submissions_hold_complete CHECK ((held_at IS NULL) = (hold_reason IS NULL)),
    ADD CONSTRAINT submissions_released_not_held CHECK (status <> 'released' OR held_at IS NULL);
CREATE INDEX submissions_on_hold_idx ON submissions (org_id) WHERE held_at IS NOT NULL;
