-- Photos are verified, and sealed, as soon as the phone says its upload is done
-- (POST /uploads/{id}/verify), or at the latest by the submission that uses them.
--
-- Sealing copies the object from the key the presigned POST wrote (`upload_key`) to a key no
-- presigned POST can reach (`object_key`), so the bytes that were checked are the bytes kept: the
-- POST stays usable until it expires and could otherwise replace a verified photo.
--   pending   uploaded (maybe), not checked; object_key is the upload key
--   verified  checked and sealed; facts (size, hash, EXIF) stored; object_key is the sealed copy
--   attached  referenced by a submission or an action

ALTER TABLE photos DROP CONSTRAINT photos_status_check;
ALTER TABLE photos ADD CONSTRAINT photos_status_check CHECK (status IN ('pending', 'verified', 'attached'));
ALTER TABLE photos ADD COLUMN upload_key text;
ALTER TABLE photos ADD COLUMN verified_at timestamptz;
-- Photos attached before this migration were verified at attachment.
UPDATE photos SET verified_at = attached_at WHERE status = 'attached';
ALTER TABLE photos ADD CONSTRAINT photos_verified_check CHECK ((status = 'pending') = (verified_at IS NULL));

DROP INDEX photos_pending_idx;
CREATE INDEX photos_unattached_idx ON photos (created_at) WHERE status <> 'attached';
