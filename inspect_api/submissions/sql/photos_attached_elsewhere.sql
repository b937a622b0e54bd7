-- A first submission is written by ONE statement (submissions/queries.py: WRITE_FIRST_SUBMISSION):
-- the submission, its revision, item rows, follow-up actions and their events, the photos attached and
-- the visit marked, atomic as a statement, without BEGIN/COMMIT round trips. What such a statement
-- cannot lock in advance it checks at its end, and it rolls itself back by raising: photos that a
-- concurrent request attached first are a uniqueness failure (a photo belongs to one submission), so
-- this raises unique_violation naming a pseudo-constraint, with the photo ids, comma separated, as
-- DETAIL; the API answers 409 naming each photo.
CREATE OR REPLACE FUNCTION photos_attached_elsewhere(photo_ids uuid[]) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION 'photo(s) % already attached elsewhere', array_to_string(photo_ids, ', ')
        USING ERRCODE = 'unique_violation', CONSTRAINT = 'photos_attached_once',
              DETAIL = array_to_string(photo_ids, ',');
END $$;
