-- Issue #18: re-scoring unreleased results is an explicit admin operation (POST /submissions/rescore,
-- inspect_api/submissions/rescore.py). It rewrites the current revision's score card in place (the
-- inspector's answers stay the revision); every earlier card is kept here with what changed, beside
-- the audit row. Released score cards are frozen: the trigger in submissions/sql/frozen_score_cards.sql
-- refuses to change one.
CREATE TABLE score_rescores (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    submission_id uuid NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    revision_id   uuid NOT NULL REFERENCES submission_revisions (id) ON DELETE CASCADE,
    rescored_by   uuid NOT NULL REFERENCES users (id),
    rescored_at   timestamptz NOT NULL DEFAULT now(),
    card_before   jsonb NOT NULL,
    card_after    jsonb NOT NULL,
    change        jsonb NOT NULL      -- forms.scoring.compare_cards(card_before, card_after)
);
CREATE INDEX score_rescores_submission_idx ON score_rescores (submission_id, id);
