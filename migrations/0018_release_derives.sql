-- Issue #19, items 2 and 3.
--
-- 3. Release derives what the branch sees: per-item facts (submission_items) and follow-up actions are
--    written by the release transaction (submissions/hooks.py; rankings/rollups.py, actions/loop.py),
--    never by intake. Rows intake wrote before this migration for results not yet released go: their
--    release writes them again from the score card, dated at the release.
-- 2. Intake passes its values as one jsonb parameter read by field name (submissions/queries.py). A value
--    sent under another field's name must fail, not land in the wrong column: beside the column types,
--    these checks refuse what a type alone would take (two timestamps exchanged, a longitude as a
--    latitude, the answers as the score card).

DELETE FROM actions a
USING submissions s
WHERE s.id = a.submission_id AND s.status <> 'released';

DELETE FROM submission_items i
WHERE NOT EXISTS (
    SELECT 1 FROM submission_revisions r JOIN submissions s ON s.id = r.submission_id
    WHERE r.id = i.revision_id AND s.status = 'released' AND r.revision = s.current_revision
);

ALTER TABLE submission_revisions
    ADD CONSTRAINT submission_revisions_finished_after_start CHECK (finished_at >= started_at),
    ADD CONSTRAINT submission_revisions_gps_latitude CHECK (gps_latitude BETWEEN -90 AND 90),
    ADD CONSTRAINT submission_revisions_gps_longitude CHECK (gps_longitude BETWEEN -180 AND 180),
    ADD CONSTRAINT submission_revisions_gps_accuracy CHECK (gps_accuracy_m >= 0),
    ADD CONSTRAINT submission_revisions_answers_array CHECK (jsonb_typeof(answers) = 'array'),
    ADD CONSTRAINT submission_revisions_score_card_object CHECK (jsonb_typeof(score_card) = 'object'),
    ADD CONSTRAINT submission_revisions_proof_object CHECK (jsonb_typeof(proof) = 'object');
