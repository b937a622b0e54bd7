-- Released score cards are frozen on purpose (#18): once a result is released, no scoring change, no
-- re-score and no stray UPDATE may rewrite a score card of its revisions (a correction of a released
-- result adds a new revision instead). Unreleased cards may be re-scored (submissions/rescore.py).
-- Other columns of a revision are not guarded here.
CREATE OR REPLACE FUNCTION submission_score_card_frozen() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.score_card IS DISTINCT FROM OLD.score_card
       AND EXISTS (SELECT 1 FROM submissions s WHERE s.id = OLD.submission_id AND s.status = 'released') THEN
        RAISE EXCEPTION 'the score card of released submission % is frozen', OLD.submission_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER submission_score_card_frozen
    BEFORE UPDATE OF score_card ON submission_revisions
    FOR EACH ROW EXECUTE FUNCTION submission_score_card_frozen();
