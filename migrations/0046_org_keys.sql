-- Org keys (#20, sharding-ready): every org-data table carries org_id in its primary key and in its
-- foreign keys to other org tables, so Citus could distribute every such table by org_id with all
-- joins co-located (tests/integration/test_sharding_catalog.py checks the catalog; docs/deployment.md).
--
-- 1. org_id on the five child tables that reached their org through a parent (action_events,
--    appeal_photos, device_session_tokens, webhook_deliveries, webhook_attempts), filled from the
--    parent in one set-based UPDATE each, then NOT NULL. The application supplies it from now on.
-- 2. audit_log.org_id NOT NULL: rows with no org (a failed login for an unknown e-mail, the shared
--    form catalogue published from the CLI) get the nil uuid, the "platform" org no real org has
--    (gen_random_uuid never returns it; audit/queries.py writes it from now on). Triggers are off for
--    the backfill only: the append-only trigger refuses any UPDATE.
-- 3. Primary keys (id) -> (org_id, id) (org_id first in the composites of link tables); the separate
--    UNIQUE (org_id, id) some tables had for composite FKs is now the primary key, so it goes.
-- 4. Every foreign key between org tables becomes (org_id, x_id) -> parent (org_id, id), same name,
--    same ON DELETE; SET NULL names its column (PG 15+) so org_id is never nulled with it.
-- 5. Unique keys gain org_id where the value is org-scoped (photos.object_key embeds the org,
--    webhook_deliveries.message_id is random, and the partial keys guarding one open appeal / one
--    current token / one live session per device / one occurrence). ON CONFLICT targets follow.
--    Kept global, documented exceptions (a lookup before any org is known): users_email_key (login by
--    e-mail) and device_session_tokens_token_hash_key (a refresh token names no org).
-- 6. Lookups by id alone stay indexed (non-unique `<table>_id_idx`, which Citus accepts) on the
--    tables the code still reads by id alone (workers, jobs, cascades); queries name org_id where the
--    org is at hand, and these indexes can go once none is left.
--
-- Not here (0048, partitioning): submissions, submission_revisions, submission_items' keys and every
-- foreign key that references submissions or submission_revisions.
-- One transaction; no per-row loops; each FK is validated by one anti-join scan of its table.

-- 1. org_id on the child tables -------------------------------------------------------------------
ALTER TABLE action_events ADD COLUMN org_id uuid;
UPDATE action_events e SET org_id = a.org_id FROM actions a WHERE a.id = e.action_id;
ALTER TABLE action_events ALTER COLUMN org_id SET NOT NULL;

ALTER TABLE appeal_photos ADD COLUMN org_id uuid;
UPDATE appeal_photos p SET org_id = a.org_id FROM appeals a WHERE a.id = p.appeal_id;
ALTER TABLE appeal_photos ALTER COLUMN org_id SET NOT NULL;

ALTER TABLE device_session_tokens ADD COLUMN org_id uuid;
UPDATE device_session_tokens t SET org_id = s.org_id FROM device_sessions s WHERE s.id = t.session_id;
ALTER TABLE device_session_tokens ALTER COLUMN org_id SET NOT NULL;

ALTER TABLE webhook_deliveries ADD COLUMN org_id uuid;
UPDATE webhook_deliveries d SET org_id = w.org_id FROM webhook_endpoints w WHERE w.id = d.endpoint_id;
ALTER TABLE webhook_deliveries ALTER COLUMN org_id SET NOT NULL;

ALTER TABLE webhook_attempts ADD COLUMN org_id uuid;
UPDATE webhook_attempts t SET org_id = d.org_id FROM webhook_deliveries d WHERE d.id = t.delivery_id;
ALTER TABLE webhook_attempts ALTER COLUMN org_id SET NOT NULL;

-- 2. audit_log: the platform's rows get the nil org ------------------------------------------------
ALTER TABLE audit_log DISABLE TRIGGER USER;
UPDATE audit_log SET org_id = '00000000-0000-0000-0000-000000000000' WHERE org_id IS NULL;
ALTER TABLE audit_log ENABLE TRIGGER USER;
ALTER TABLE audit_log ALTER COLUMN org_id SET NOT NULL;

-- 4a. Drop the foreign keys to rebuild (they depend on the keys replaced below) -------------------
ALTER TABLE action_events DROP CONSTRAINT action_events_action_id_fkey,
                          DROP CONSTRAINT action_events_photo_id_fkey;
ALTER TABLE actions DROP CONSTRAINT actions_assignee_id_fkey,
                    DROP CONSTRAINT actions_merged_into_fkey,
                    DROP CONSTRAINT actions_org_id_branch_id_fkey;
ALTER TABLE appeal_photos DROP CONSTRAINT appeal_photos_appeal_id_fkey,
                          DROP CONSTRAINT appeal_photos_photo_id_fkey;
ALTER TABLE appeals DROP CONSTRAINT appeals_org_id_branch_id_fkey,
                    DROP CONSTRAINT appeals_org_id_decided_by_fkey,
                    DROP CONSTRAINT appeals_org_id_opened_by_fkey;
ALTER TABLE branches DROP CONSTRAINT branches_org_id_region_id_fkey;
ALTER TABLE device_session_tokens DROP CONSTRAINT device_session_tokens_session_id_fkey;
ALTER TABLE device_sessions DROP CONSTRAINT device_sessions_org_id_user_id_fkey;
ALTER TABLE photos DROP CONSTRAINT photos_action_id_fkey,
                   DROP CONSTRAINT photos_org_id_uploaded_by_fkey,
                   DROP CONSTRAINT photos_visit_id_fkey;
ALTER TABLE programme_branches DROP CONSTRAINT programme_branches_org_id_branch_id_fkey,
                               DROP CONSTRAINT programme_branches_org_id_programme_id_fkey;
ALTER TABLE programmes DROP CONSTRAINT programmes_org_id_created_by_fkey,
                       DROP CONSTRAINT programmes_org_id_region_id_fkey;
ALTER TABLE review_comments DROP CONSTRAINT review_comments_author_id_fkey;
ALTER TABLE rollup_branch_periods DROP CONSTRAINT rollup_branch_periods_org_id_branch_id_fkey;
ALTER TABLE rollup_item_periods DROP CONSTRAINT rollup_item_periods_org_id_branch_id_fkey;
ALTER TABLE score_rescores DROP CONSTRAINT score_rescores_rescored_by_fkey;
ALTER TABLE submissions DROP CONSTRAINT submissions_org_id_branch_id_fkey,
                        DROP CONSTRAINT submissions_org_id_inspector_id_fkey,
                        DROP CONSTRAINT submissions_visit_id_fkey;
ALTER TABLE user_branches DROP CONSTRAINT user_branches_org_id_branch_id_fkey,
                          DROP CONSTRAINT user_branches_org_id_user_id_fkey;
ALTER TABLE user_regions DROP CONSTRAINT user_regions_org_id_region_id_fkey,
                         DROP CONSTRAINT user_regions_org_id_user_id_fkey;
ALTER TABLE visits DROP CONSTRAINT visits_org_id_branch_id_fkey,
                   DROP CONSTRAINT visits_org_id_cancelled_by_fkey,
                   DROP CONSTRAINT visits_org_id_created_by_fkey,
                   DROP CONSTRAINT visits_org_id_inspector_id_fkey,
                   DROP CONSTRAINT visits_programme_fkey;
ALTER TABLE webhook_attempts DROP CONSTRAINT webhook_attempts_delivery_id_fkey;
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_endpoint_id_fkey,
                               DROP CONSTRAINT webhook_deliveries_event_id_fkey;

-- 3. Primary keys with org_id first -------------------------------------------------------------
ALTER TABLE action_events DROP CONSTRAINT action_events_pkey, ADD CONSTRAINT action_events_pkey PRIMARY KEY (org_id, id);
ALTER TABLE actions DROP CONSTRAINT actions_pkey, ADD CONSTRAINT actions_pkey PRIMARY KEY (org_id, id);
ALTER TABLE appeal_photos DROP CONSTRAINT appeal_photos_pkey,
                          ADD CONSTRAINT appeal_photos_pkey PRIMARY KEY (org_id, appeal_id, photo_id);
ALTER TABLE appeals DROP CONSTRAINT appeals_pkey, ADD CONSTRAINT appeals_pkey PRIMARY KEY (org_id, id);
ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey, ADD CONSTRAINT audit_log_pkey PRIMARY KEY (org_id, id);
ALTER TABLE branches DROP CONSTRAINT branches_pkey, DROP CONSTRAINT branches_org_id_id_key,
                     ADD CONSTRAINT branches_pkey PRIMARY KEY (org_id, id);
ALTER TABLE device_session_tokens DROP CONSTRAINT device_session_tokens_pkey,
                                  ADD CONSTRAINT device_session_tokens_pkey PRIMARY KEY (org_id, token_hash),
                                  ADD CONSTRAINT device_session_tokens_token_hash_key UNIQUE (token_hash);
ALTER TABLE device_sessions DROP CONSTRAINT device_sessions_pkey, ADD CONSTRAINT device_sessions_pkey PRIMARY KEY (org_id, id);
ALTER TABLE events DROP CONSTRAINT events_pkey, ADD CONSTRAINT events_pkey PRIMARY KEY (org_id, id);
ALTER TABLE form_retirements DROP CONSTRAINT form_retirements_pkey,
                             ADD CONSTRAINT form_retirements_pkey PRIMARY KEY (org_id, id);
ALTER TABLE photos DROP CONSTRAINT photos_pkey, ADD CONSTRAINT photos_pkey PRIMARY KEY (org_id, id);
ALTER TABLE programme_branches DROP CONSTRAINT programme_branches_pkey,
                               ADD CONSTRAINT programme_branches_pkey PRIMARY KEY (org_id, programme_id, branch_id);
ALTER TABLE programmes DROP CONSTRAINT programmes_pkey, DROP CONSTRAINT programmes_org_id_id_key,
                       ADD CONSTRAINT programmes_pkey PRIMARY KEY (org_id, id);
ALTER TABLE regions DROP CONSTRAINT regions_pkey, DROP CONSTRAINT regions_org_id_id_key,
                    ADD CONSTRAINT regions_pkey PRIMARY KEY (org_id, id);
ALTER TABLE review_comments DROP CONSTRAINT review_comments_pkey,
                            ADD CONSTRAINT review_comments_pkey PRIMARY KEY (org_id, id);
ALTER TABLE score_rescores DROP CONSTRAINT score_rescores_pkey, ADD CONSTRAINT score_rescores_pkey PRIMARY KEY (org_id, id);
ALTER TABLE user_branches DROP CONSTRAINT user_branches_pkey,
                          ADD CONSTRAINT user_branches_pkey PRIMARY KEY (org_id, user_id, branch_id);
ALTER TABLE user_regions DROP CONSTRAINT user_regions_pkey,
                         ADD CONSTRAINT user_regions_pkey PRIMARY KEY (org_id, user_id, region_id);
ALTER TABLE users DROP CONSTRAINT users_pkey, DROP CONSTRAINT users_org_id_id_key,
                  ADD CONSTRAINT users_pkey PRIMARY KEY (org_id, id);
ALTER TABLE visits DROP CONSTRAINT visits_pkey, DROP CONSTRAINT visits_org_id_id_key,
                   ADD CONSTRAINT visits_pkey PRIMARY KEY (org_id, id);
ALTER TABLE webhook_attempts DROP CONSTRAINT webhook_attempts_pkey,
                             ADD CONSTRAINT webhook_attempts_pkey PRIMARY KEY (org_id, id);
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_pkey,
                               ADD CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (org_id, id);
ALTER TABLE webhook_endpoints DROP CONSTRAINT webhook_endpoints_pkey,
                              ADD CONSTRAINT webhook_endpoints_pkey PRIMARY KEY (org_id, id);

-- 6. Lookups by id alone (see the header) ---------------------------------------------------------
CREATE INDEX actions_id_idx ON actions (id);
CREATE INDEX appeals_id_idx ON appeals (id);
CREATE INDEX branches_id_idx ON branches (id);
CREATE INDEX device_sessions_id_idx ON device_sessions (id);
CREATE INDEX photos_id_idx ON photos (id);
CREATE INDEX programmes_id_idx ON programmes (id);
CREATE INDEX users_id_idx ON users (id);
CREATE INDEX visits_id_idx ON visits (id);
CREATE INDEX webhook_deliveries_id_idx ON webhook_deliveries (id);
CREATE INDEX webhook_endpoints_id_idx ON webhook_endpoints (id);

-- 5. Unique keys: org-scoped ones gain org_id (same names) ------------------------------------------
ALTER TABLE actions DROP CONSTRAINT actions_revision_id_item_key_key,
                    ADD CONSTRAINT actions_revision_id_item_key_key UNIQUE (org_id, revision_id, item_key);
ALTER TABLE photos DROP CONSTRAINT photos_object_key_key,
                   ADD CONSTRAINT photos_object_key_key UNIQUE (org_id, object_key);
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_message_id_key,
                               DROP CONSTRAINT webhook_deliveries_endpoint_id_event_id_key,
                               ADD CONSTRAINT webhook_deliveries_message_id_key UNIQUE (org_id, message_id),
                               ADD CONSTRAINT webhook_deliveries_endpoint_id_event_id_key
                                   UNIQUE (org_id, endpoint_id, event_id);
DROP INDEX appeal_photos_photo_key;
CREATE UNIQUE INDEX appeal_photos_photo_key ON appeal_photos (org_id, photo_id);
DROP INDEX appeals_one_open_key;
CREATE UNIQUE INDEX appeals_one_open_key ON appeals (org_id, submission_id, COALESCE(item_key, ''))
    WHERE status = 'open';
DROP INDEX device_session_tokens_current_key;
CREATE UNIQUE INDEX device_session_tokens_current_key ON device_session_tokens (org_id, session_id)
    WHERE rotated_at IS NULL;
DROP INDEX device_sessions_device_key;
CREATE UNIQUE INDEX device_sessions_device_key ON device_sessions (org_id, user_id, device_id)
    WHERE ended_at IS NULL AND device_id IS NOT NULL;
DROP INDEX visits_occurrence_key;
CREATE UNIQUE INDEX visits_occurrence_key ON visits (org_id, programme_id, branch_id, period_start, occurrence_n)
    WHERE programme_id IS NOT NULL;

-- 4b. The foreign keys again, composite ----------------------------------------------------------
ALTER TABLE action_events
    ADD CONSTRAINT action_events_action_id_fkey FOREIGN KEY (org_id, action_id)
        REFERENCES actions (org_id, id) ON DELETE CASCADE,
    ADD CONSTRAINT action_events_photo_id_fkey FOREIGN KEY (org_id, photo_id) REFERENCES photos (org_id, id);
ALTER TABLE actions
    ADD CONSTRAINT actions_assignee_id_fkey FOREIGN KEY (org_id, assignee_id)
        REFERENCES users (org_id, id) ON DELETE SET NULL (assignee_id),
    ADD CONSTRAINT actions_merged_into_fkey FOREIGN KEY (org_id, merged_into)
        REFERENCES actions (org_id, id) ON DELETE SET NULL (merged_into),
    ADD CONSTRAINT actions_org_id_branch_id_fkey FOREIGN KEY (org_id, branch_id) REFERENCES branches (org_id, id);
ALTER TABLE appeal_photos
    ADD CONSTRAINT appeal_photos_appeal_id_fkey FOREIGN KEY (org_id, appeal_id)
        REFERENCES appeals (org_id, id) ON DELETE CASCADE,
    ADD CONSTRAINT appeal_photos_photo_id_fkey FOREIGN KEY (org_id, photo_id) REFERENCES photos (org_id, id);
ALTER TABLE appeals
    ADD CONSTRAINT appeals_org_id_branch_id_fkey FOREIGN KEY (org_id, branch_id) REFERENCES branches (org_id, id),
    ADD CONSTRAINT appeals_org_id_decided_by_fkey FOREIGN KEY (org_id, decided_by) REFERENCES users (org_id, id),
    ADD CONSTRAINT appeals_org_id_opened_by_fkey FOREIGN KEY (org_id, opened_by) REFERENCES users (org_id, id);
ALTER TABLE branches
    ADD CONSTRAINT branches_org_id_region_id_fkey FOREIGN KEY (org_id, region_id) REFERENCES regions (org_id, id);
ALTER TABLE device_session_tokens
    ADD CONSTRAINT device_session_tokens_session_id_fkey FOREIGN KEY (org_id, session_id)
        REFERENCES device_sessions (org_id, id) ON DELETE CASCADE;
ALTER TABLE device_sessions
    ADD CONSTRAINT device_sessions_org_id_user_id_fkey FOREIGN KEY (org_id, user_id)
        REFERENCES users (org_id, id) ON DELETE CASCADE;
ALTER TABLE photos
    ADD CONSTRAINT photos_action_id_fkey FOREIGN KEY (org_id, action_id)
        REFERENCES actions (org_id, id) ON DELETE SET NULL (action_id),
    ADD CONSTRAINT photos_org_id_uploaded_by_fkey FOREIGN KEY (org_id, uploaded_by) REFERENCES users (org_id, id),
    ADD CONSTRAINT photos_visit_id_fkey FOREIGN KEY (org_id, visit_id) REFERENCES visits (org_id, id);
ALTER TABLE programme_branches
    ADD CONSTRAINT programme_branches_org_id_branch_id_fkey FOREIGN KEY (org_id, branch_id)
        REFERENCES branches (org_id, id),
    ADD CONSTRAINT programme_branches_org_id_programme_id_fkey FOREIGN KEY (org_id, programme_id)
        REFERENCES programmes (org_id, id) ON DELETE CASCADE;
ALTER TABLE programmes
    ADD CONSTRAINT programmes_org_id_created_by_fkey FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id),
    ADD CONSTRAINT programmes_org_id_region_id_fkey FOREIGN KEY (org_id, region_id) REFERENCES regions (org_id, id);
ALTER TABLE review_comments
    ADD CONSTRAINT review_comments_author_id_fkey FOREIGN KEY (org_id, author_id) REFERENCES users (org_id, id);
ALTER TABLE rollup_branch_periods
    ADD CONSTRAINT rollup_branch_periods_org_id_branch_id_fkey FOREIGN KEY (org_id, branch_id)
        REFERENCES branches (org_id, id) ON DELETE CASCADE;
ALTER TABLE rollup_item_periods
    ADD CONSTRAINT rollup_item_periods_org_id_branch_id_fkey FOREIGN KEY (org_id, branch_id)
        REFERENCES branches (org_id, id) ON DELETE CASCADE;
ALTER TABLE score_rescores
    ADD CONSTRAINT score_rescores_rescored_by_fkey FOREIGN KEY (org_id, rescored_by) REFERENCES users (org_id, id);
ALTER TABLE submissions
    ADD CONSTRAINT submissions_org_id_branch_id_fkey FOREIGN KEY (org_id, branch_id) REFERENCES branches (org_id, id),
    ADD CONSTRAINT submissions_org_id_inspector_id_fkey FOREIGN KEY (org_id, inspector_id)
        REFERENCES users (org_id, id),
    ADD CONSTRAINT submissions_visit_id_fkey FOREIGN KEY (org_id, visit_id) REFERENCES visits (org_id, id);
ALTER TABLE user_branches
    ADD CONSTRAINT user_branches_org_id_branch_id_fkey FOREIGN KEY (org_id, branch_id)
        REFERENCES branches (org_id, id) ON DELETE CASCADE,
    ADD CONSTRAINT user_branches_org_id_user_id_fkey FOREIGN KEY (org_id, user_id)
        REFERENCES users (org_id, id) ON DELETE CASCADE;
ALTER TABLE user_regions
    ADD CONSTRAINT user_regions_org_id_region_id_fkey FOREIGN KEY (org_id, region_id)
        REFERENCES regions (org_id, id) ON DELETE CASCADE,
    ADD CONSTRAINT user_regions_org_id_user_id_fkey FOREIGN KEY (org_id, user_id)
        REFERENCES users (org_id, id) ON DELETE CASCADE;
ALTER TABLE visits
    ADD CONSTRAINT visits_org_id_branch_id_fkey FOREIGN KEY (org_id, branch_id) REFERENCES branches (org_id, id),
    ADD CONSTRAINT visits_org_id_cancelled_by_fkey FOREIGN KEY (org_id, cancelled_by) REFERENCES users (org_id, id),
    ADD CONSTRAINT visits_org_id_created_by_fkey FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id),
    ADD CONSTRAINT visits_org_id_inspector_id_fkey FOREIGN KEY (org_id, inspector_id) REFERENCES users (org_id, id),
    ADD CONSTRAINT visits_programme_fkey FOREIGN KEY (org_id, programme_id) REFERENCES programmes (org_id, id);
ALTER TABLE webhook_attempts
    ADD CONSTRAINT webhook_attempts_delivery_id_fkey FOREIGN KEY (org_id, delivery_id)
        REFERENCES webhook_deliveries (org_id, id) ON DELETE CASCADE;
ALTER TABLE webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_endpoint_id_fkey FOREIGN KEY (org_id, endpoint_id)
        REFERENCES webhook_endpoints (org_id, id) ON DELETE CASCADE,
    ADD CONSTRAINT webhook_deliveries_event_id_fkey FOREIGN KEY (org_id, event_id)
        REFERENCES events (org_id, id) ON DELETE CASCADE;
