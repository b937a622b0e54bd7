"""What conftest.py (fixtures) and factories.py (rows, logins) both need, so neither imports the other."""

from __future__ import annotations

from typing import Any, Final

import msgspec

from inspect_api.settings import Settings

FAST_HASH_PARAMS: Final = {"password_time_cost": 1, "password_memory_kib": 64, "password_parallelism": 1}

# Empties every table but the migration runner's ledgers.
TRUNCATE_ALL: Final = """
DO $$
DECLARE names text;
BEGIN
    SELECT string_agg(format('%I', tablename), ', ') INTO names
    FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('schema_migrations', 'schema_functions');
    IF names IS NOT NULL THEN
        EXECUTE 'TRUNCATE ' || names || ' CASCADE';
    END IF;
END $$;
"""


def fast_settings(settings: Settings, **changes: Any) -> Settings:
    """The session settings with a small pool, a high login rate limit and cheap password hashing:
    every test app's settings (a test needing others passes them as `changes`)."""
    values: dict[str, Any] = {"db_pool_min": 1, "db_pool_max": 4, "login_rate_per_minute": 100_000}
    return msgspec.structs.replace(settings, **(values | FAST_HASH_PARAMS | changes))
