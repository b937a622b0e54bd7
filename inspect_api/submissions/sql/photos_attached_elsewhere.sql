-- A first submission is written by ONE statement (submissions/queries.py: WRITE_FIRST_SUBMISSION):
-- the submission, its revision, the photos attached and the visit marked, atomic as a statement, without
-- BEGIN/COMMIT round trips. What such a statement cannot lock in advance it checks at its end, and it
-- rolls itself back by raising: photos that a concurrent request attached first.
--
-- The error has this project's own SQLSTATE, IA001 (class IA: inspect_api's errors raised by its SQL;
-- the codes are listed in submissions/queries.py, SQLSTATES), with the photo ids, comma separated, as
-- DETAIL. The API maps it by that code, never by parsing a message, and answers 409 naming each photo;
-- nothing else can raise it, unlike the unique_violation it used to pretend to be.
CREATE OR REPLACE FUNCTION photos_attached_elsewhere(photo_ids uuid[]) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION 'photo(s) % already attached elsewhere', array_to_string(photo_ids, ', ')
        USING ERRCODE = 'IA001', DETAIL = array_to_string(photo_ids, ',');
END $$;
