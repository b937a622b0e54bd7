"""What conftest.py (fixtures) and factories.py (rows, logins) both need, so neither imports the other."""

from __future__ import annotations

from typing import Any, Final

import msgspec

from inspect_api.settings import Settings

FAST_HASH_PARAMS: Final = {"password_time_cost": 1, "password_memory_kib": 64, "password_parallelism": 1}

# Empties every table but the migration runner's ledgers.
# Empties every table. Months a test added to the partitioned submissions tables (migrations/0052),
# and tables a test detached from them, are dropped next: only the months the migration makes (this
# one and two ahead) and the DEFAULT partitions stay, so no test sees another's months and TRUNCATE
# stays short (each month is three tables with their indexes). A month is detached before it is
# dropped (Postgres drops no partition that a foreign key references), children first.
TRUNCATE_ALL: Final = """
DO $$
DECLARE
    names text;
    part record;
BEGIN
    SELECT string_agg(format('%I', c.relname), ', ') INTO names
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND c.relname NOT IN ('schema_migrations', 'schema_functions')
      AND c.relname !~ '^(submissions|submission_revisions|submission_items)_m[0-9]{4}_[0-9]{2}$';
    IF names IS NOT NULL THEN
        EXECUTE 'TRUNCATE ' || names || ' CASCADE';
    END IF;
    FOR part IN
        SELECT c.relname, c.relispartition, p.relname AS parent
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_inherits h ON h.inhrelid = c.oid LEFT JOIN pg_class p ON p.oid = h.inhparent
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
          AND c.relname ~ '^(submissions|submission_revisions|submission_items)_m[0-9]{4}_[0-9]{2}$'
          AND to_date(substring(c.relname FROM '[0-9]{4}_[0-9]{2}$'), 'YYYY_MM') NOT BETWEEN
              date_trunc('month', current_date) AND date_trunc('month', current_date) + interval '2 months'
        ORDER BY array_position(ARRAY['submission_items', 'submission_revisions', 'submissions'],
                                substring(c.relname FROM '^(.*)_m[0-9]{4}_[0-9]{2}$'))
    LOOP
        IF part.relispartition THEN
            EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', part.parent, part.relname);
        END IF;
        EXECUTE format('TRUNCATE %I CASCADE', part.relname);  -- an archive of retention may hold rows
    END LOOP;
    SELECT string_agg(format('%I', c.relname), ', ') INTO names
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r'
      AND c.relname ~ '^(submissions|submission_revisions|submission_items)_m[0-9]{4}_[0-9]{2}$'
      AND to_date(substring(c.relname FROM '[0-9]{4}_[0-9]{2}$'), 'YYYY_MM') NOT BETWEEN
          date_trunc('month', current_date) AND date_trunc('month', current_date) + interval '2 months';
    IF names IS NOT NULL THEN
        EXECUTE 'DROP TABLE ' || names;
    END IF;
END $$;
"""


def fast_settings(settings: Settings, **changes: Any) -> Settings:
    """The session settings with a small pool, a high login rate limit and cheap password hashing:
    every test app's settings (a test needing others passes them as `changes`)."""
    values: dict[str, Any] = {"db_pool_min": 1, "db_pool_max": 4, "login_rate_per_minute": 100_000}
    return msgspec.structs.replace(settings, **(values | FAST_HASH_PARAMS | changes))
