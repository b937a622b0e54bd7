-- Appeals (#17): a branch manager disputes a released result, whole or one item, with a reason and
-- optional evidence photos; QA (admin, reviewer) accepts it (the result is corrected by a new revision,
-- scored by the server, its derived rows re-derived: inspect_api/submissions/corrections.py) or rejects
-- it with a reason; the manager may withdraw an open appeal. History is kept: the appeal keeps the
-- revision it disputed and the one that corrected it; the old revision and its score card stay.
--
-- One OPEN appeal per submission and item (item_key NULL: the whole result), enforced here.

CREATE TABLE appeals (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id             uuid NOT NULL,
    submission_id      uuid NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    branch_id          uuid NOT NULL,
    item_key           text CHECK (char_length(item_key) BETWEEN 1 AND 200),
    status             text NOT NULL DEFAULT 'open'
                       CHECK (status IN ('open', 'accepted', 'rejected', 'withdrawn')),
    reason             text NOT NULL CHECK (char_length(reason) BETWEEN 3 AND 2000),
    opened_by          uuid NOT NULL,
    opened_at          timestamptz NOT NULL DEFAULT now(),
    disputed_revision  integer NOT NULL CHECK (disputed_revision > 0),   -- the revision the manager saw
    decided_by         uuid,
    decided_at         timestamptz,
    decision_reason    text CHECK (char_length(decision_reason) <= 2000),
    corrected_revision integer CHECK (corrected_revision > disputed_revision),
    FOREIGN KEY (org_id, branch_id) REFERENCES branches (org_id, id),
    FOREIGN KEY (org_id, opened_by) REFERENCES users (org_id, id),
    FOREIGN KEY (org_id, decided_by) REFERENCES users (org_id, id),
    CHECK ((status = 'open') = (decided_at IS NULL)),
    CHECK ((status = 'open') = (decided_by IS NULL)),
    CHECK (status <> 'rejected' OR decision_reason IS NOT NULL),
    CHECK ((status = 'accepted') = (corrected_revision IS NOT NULL))
);
CREATE UNIQUE INDEX appeals_one_open_key ON appeals (submission_id, coalesce(item_key, ''))
    WHERE status = 'open';
CREATE INDEX appeals_org_opened_idx ON appeals (org_id, opened_at DESC, id);
CREATE INDEX appeals_branch_idx ON appeals (org_id, branch_id, status);

-- Evidence: the manager's verified uploads (photos' public verify/attach), attached with no submission
-- or action of their own and linked here.
CREATE TABLE appeal_photos (
    appeal_id  uuid NOT NULL REFERENCES appeals (id) ON DELETE CASCADE,
    photo_id   uuid NOT NULL REFERENCES photos (id),
    PRIMARY KEY (appeal_id, photo_id)
);
CREATE UNIQUE INDEX appeal_photos_photo_key ON appeal_photos (photo_id);
