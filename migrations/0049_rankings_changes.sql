-- Rankings' change log (#20): what each bump of an org's rankings generation changed, so a worker
-- whose cached ranking is at generation g re-reads only the branches changed since g and re-ranks in
-- Python, instead of recomputing the whole page after every release (rankings/incremental.py).
-- One row per bump, written by the bumping trigger in the writing transaction
-- (rankings/sql/rankings_generation.sql): `everything` for a change that is not a few roll-up rows
-- (branches, regions, org settings, a bulk roll-up write): readers recompute from scratch; else the
-- changed roll-up rows' keys, as parallel arrays. A reader trusts the log over (g, G] only when it holds
-- exactly G - g rows (none pruned); old rows are pruned by the same trigger.
CREATE TABLE rankings_changes (
    org_id         uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    generation     bigint NOT NULL,
    everything     boolean NOT NULL,
    form_keys      text[] NOT NULL DEFAULT '{}',
    period_kinds   text[] NOT NULL DEFAULT '{}',
    period_starts  date[] NOT NULL DEFAULT '{}',
    branch_ids     uuid[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (org_id, generation)
);
