-- #17: a `reviewer` (QA) role. Reviews, approves, releases, rejects, holds and comments on submissions
-- of its scope; manages nothing (users, forms, settings, webhooks, audit stay the admin's).
-- Scope (org/sql/visible_branch_ids.sql): the branches of the regions assigned in user_regions, or the
-- whole org when none is assigned.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'regional_lead', 'branch_manager', 'inspector', 'reviewer'));
