"""The demo organisation for `inspect-api dev` / `inspect-api seed --demo`.

Idempotent: when an org with slug DEMO_SLUG exists nothing is touched. Otherwise it creates, in one
transaction, two regions (East China, South China), six branches in Asia/Shanghai (fuel stations,
pharmacies, a hotel) and one user per role. Demo logins (documented, for local use only):

    admin@demo.inspect.test      quality-first-2024     admin
    lead@demo.inspect.test       east-china-rank-2024   regional_lead (East China)
    manager@demo.inspect.test    hongqiao-pump-2024     branch_manager (SH-F01 Hongqiao fuel station)
    inspector@demo.inspect.test  mystery-shopper-2024   inspector
    reviewer@demo.inspect.test   second-look-qa-2024    reviewer (QA: reviews the whole org, manages nothing)

Three more inspectors (SHOPPERS: shopper1..3@demo.inspect.test, passwords in the tuple) make the mystery
visits of the demo inspections (demo_inspections.py): one inspector alone could not make them, since the
mystery revisit rule keeps an inspector away from a branch for 30 days after a mystery visit.

(They pass auth/password_rules.py: none contains its e-mail's name, as `demo-admin-2024` did.)

If a published catalogue form exists (seed the forms first), the inspector also gets one announced
visit at the Hongqiao fuel station for tomorrow, so `GET /me/visits` has something to show.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

import asyncpg
import msgspec

from inspect_api.auth.passwords import hasher_for

DEMO_SLUG: Final = "demo"
DEMO_ORG_NAME: Final = "Demo Retail Group 演示零售集团"


class DemoRegion(msgspec.Struct, frozen=True):
    code: str
    name_zh: str
    name_en: str


class DemoBranch(msgspec.Struct, frozen=True):
    code: str
    region: str
    name_zh: str
    name_en: str
    latitude: float
    longitude: float
    address: str


class DemoUser(msgspec.Struct, frozen=True):
    email: str
    password: str
    display_name: str
    role: str
    regions: tuple[str, ...] = ()
    branches: tuple[str, ...] = ()


REGIONS: Final = (
    DemoRegion("EAST", "华东区", "East China"),
    DemoRegion("SOUTH", "华南区", "South China"),
)
BRANCHES: Final = (
    DemoBranch(
        "SH-F01",
        "EAST",
        "上海虹桥加油站",
        "Shanghai Hongqiao Fuel Station",
        31.1940,
        121.3360,
        "上海市闵行区申虹路 88 号",
    ),
    DemoBranch(
        "HZ-F02",
        "EAST",
        "杭州西湖加油站",
        "Hangzhou West Lake Fuel Station",
        30.2590,
        120.1300,
        "杭州市西湖区曙光路 120 号",
    ),
    DemoBranch(
        "SH-P01",
        "EAST",
        "上海静安康健大药房",
        "Shanghai Jing'an Kangjian Pharmacy",
        31.2290,
        121.4480,
        "上海市静安区南京西路 1601 号",
    ),
    DemoBranch(
        "GZ-P02",
        "SOUTH",
        "广州天河仁心大药房",
        "Guangzhou Tianhe Renxin Pharmacy",
        23.1320,
        113.3270,
        "广州市天河区天河路 385 号",
    ),
    DemoBranch(
        "GZ-F03",
        "SOUTH",
        "广州番禺加油站",
        "Guangzhou Panyu Fuel Station",
        22.9380,
        113.3840,
        "广州市番禺区市桥街西环路 66 号",
    ),
    DemoBranch(
        "SZ-H01",
        "SOUTH",
        "深圳福田商务酒店",
        "Shenzhen Futian Business Hotel",
        22.5410,
        114.0550,
        "深圳市福田区深南大道 6008 号",
    ),
)
USERS: Final = (
    DemoUser("admin@demo.inspect.test", "quality-first-2024", "演示管理员 Demo Admin", "admin"),
    DemoUser(
        "lead@demo.inspect.test", "east-china-rank-2024", "华东区经理 East Lead", "regional_lead", regions=("EAST",)
    ),
    DemoUser(
        "manager@demo.inspect.test",
        "hongqiao-pump-2024",
        "虹桥站长 Hongqiao Manager",
        "branch_manager",
        branches=("SH-F01",),
    ),
    DemoUser("inspector@demo.inspect.test", "mystery-shopper-2024", "神秘顾客 Mystery Shopper", "inspector"),
    DemoUser("reviewer@demo.inspect.test", "second-look-qa-2024", "质检员 QA Reviewer", "reviewer"),
)
SHOPPERS: Final = (
    DemoUser("shopper1@demo.inspect.test", "quiet-visitor-2024", "暗访员 Li Na", "inspector"),
    DemoUser("shopper2@demo.inspect.test", "unnoticed-guest-2024", "暗访员 Wang Lei", "inspector"),
    DemoUser("shopper3@demo.inspect.test", "ordinary-customer-2024", "暗访员 Chen Jing", "inspector"),
)

SELECT_ORG_ID: Final = "SELECT id FROM orgs WHERE slug = $1"
INSERT_ORG: Final = (
    "INSERT INTO orgs (slug, name, settings) VALUES ($1, $2, $3) ON CONFLICT (slug) DO NOTHING RETURNING id"
)
INSERT_REGION: Final = "INSERT INTO regions (org_id, code, name_zh, name_en) VALUES ($1, $2, $3, $4) RETURNING id"
INSERT_BRANCH: Final = """
INSERT INTO branches (org_id, region_id, code, name_zh, name_en, timezone, latitude, longitude, address)
VALUES ($1, $2, $3, $4, $5, 'Asia/Shanghai', $6, $7, $8) RETURNING id
"""
INSERT_USER: Final = """
INSERT INTO users (org_id, email, display_name, role, password_hash) VALUES ($1, $2, $3, $4, $5) RETURNING id
"""
INSERT_USER_REGION: Final = "INSERT INTO user_regions (org_id, user_id, region_id) VALUES ($1, $2, $3)"
INSERT_USER_BRANCH: Final = "INSERT INTO user_branches (org_id, user_id, branch_id) VALUES ($1, $2, $3)"
SELECT_CATALOGUE_VERSION: Final = """
SELECT fv.id FROM form_versions fv JOIN forms f ON f.id = fv.form_id
WHERE f.org_id IS NULL AND fv.status = 'published'
ORDER BY (f.key = 'fuel-attendant') DESC, f.key, fv.version DESC
LIMIT 1
"""
INSERT_VISIT: Final = """
INSERT INTO visits (org_id, branch_id, form_version_id, inspector_id, mode, window_start, window_end, created_by)
VALUES ($1, $2, $3, $4, 'announced', $5, $6, $7)
"""


async def seed_demo_org(conn: asyncpg.Connection, *, hash_cost: tuple[int, int, int] = (3, 65536, 4)) -> list[str]:
    """Create the demo org unless it exists; return printable lines (the logins when created).
    `hash_cost` = argon2 (time_cost, memory_kib, parallelism), the settings' defaults."""
    if await conn.fetchval(SELECT_ORG_ID, DEMO_SLUG) is not None:
        return [f"demo org '{DEMO_SLUG}' already exists: left as it is"]
    hasher = hasher_for(*hash_cost)
    hashes = {u.email: hasher.hash(u.password) for u in (*USERS, *SHOPPERS)}  # before the transaction: slow
    async with conn.transaction():
        org_id = await conn.fetchval(INSERT_ORG, DEMO_SLUG, DEMO_ORG_NAME, {"mystery_revisit_days": 30})
        if org_id is None:  # created concurrently
            return [f"demo org '{DEMO_SLUG}' already exists: left as it is"]
        regions = {r.code: await conn.fetchval(INSERT_REGION, org_id, r.code, r.name_zh, r.name_en) for r in REGIONS}
        branches = {
            b.code: await conn.fetchval(
                INSERT_BRANCH,
                org_id,
                regions[b.region],
                b.code,
                b.name_zh,
                b.name_en,
                b.latitude,
                b.longitude,
                b.address,
            )
            for b in BRANCHES
        }
        users = {}
        for u in (*USERS, *SHOPPERS):
            user_id = await conn.fetchval(INSERT_USER, org_id, u.email, u.display_name, u.role, hashes[u.email])
            users.setdefault(u.role, user_id)  # the first of a role: USERS come first
            for code in u.regions:
                await conn.execute(INSERT_USER_REGION, org_id, user_id, regions[code])
            for code in u.branches:
                await conn.execute(INSERT_USER_BRANCH, org_id, user_id, branches[code])
        lines = [f"demo org '{DEMO_SLUG}': {len(REGIONS)} regions, {len(BRANCHES)} branches, "
                 f"{len(USERS) + len(SHOPPERS)} users"]
        version_id = await conn.fetchval(SELECT_CATALOGUE_VERSION)
        if version_id is not None:
            start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=1, minute=0, second=0, microsecond=0)
            await conn.execute(
                INSERT_VISIT,
                org_id,
                branches["SH-F01"],
                version_id,
                users["inspector"],
                start,
                start + timedelta(hours=8),
                users["admin"],
            )
            lines.append("  one announced visit scheduled for the inspector at SH-F01 tomorrow")
    return lines


def demo_login_lines() -> list[str]:
    """The demo logins, one per role, for `dev` to print at every start (as seeded: local use only)."""
    lines = ["demo logins (org 'demo'; sign in on the dashboard):"]
    lines += [f"  {u.role:<15} {u.email:<28} {u.password}" for u in USERS]
    return lines
