"""SQL reading the roll-ups (never the submissions) for rankings, trends and weakness maps.

Scope: a ranking lists the branches of the regions the caller may see (visible_region_ids); `own`
marks the branches the caller may see by name of their own right (visible_branch_ids). The service
hides peers' names from branch managers unless the org's `show_peer_names` allows them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Final
from uuid import UUID

import asyncpg
import msgspec

from inspect_api.storage.db import one_to, row_to, rows_to


class OrgContext(msgspec.Struct, frozen=True, kw_only=True):
    min_ranked_visits: int | None
    show_peer_names: bool | None
    today: date | None  # the latest local date among the org's branches
    generation: int | None  # of what rankings are computed from (rankings/cache.py); None: nothing yet


class BranchPeriodsRow(msgspec.Struct, frozen=True, kw_only=True):
    """One branch with both periods' figures (mean and variance from the roll-up's generated columns)."""

    branch_id: UUID
    code: str
    name_zh: str
    name_en: str
    region_id: UUID
    own: bool
    visits: int
    scored: int
    mean: float | None
    variance: float | None
    passes: int
    ranked: bool
    prev_visits: int
    prev_scored: int
    prev_mean: float | None
    prev_variance: float | None
    prev_passes: int
    prev_ranked: bool


class RankingPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of a ranking and what ranks need from the whole scope: the ranked means of both periods
    in ascending order (a branch's rank and percentile follow from where its mean falls among them)."""

    total: int  # branches listed in the scope
    visits: int
    passes: int
    ranked_means: list[float]
    prev_ranked_means: list[float]
    rows: list[BranchPeriodsRow]


class ScoredBranchRow(msgspec.Struct, frozen=True, kw_only=True):
    """A branch of the scope with scored visits in the period: what shrinkage needs (rankings/adjusted.py)."""

    branch_id: UUID
    region_id: UUID
    scored: int
    mean: float
    variance: float | None
    format: str | None = None  # the branch's format (peer=format); None: not set


class PeriodVisitRow(msgspec.Struct, frozen=True, kw_only=True):
    """A released, scored visit of the period, for the inspector report (admins only)."""

    submission_id: UUID
    branch_id: UUID
    code: str
    name_zh: str
    name_en: str
    inspector_id: UUID
    email: str
    visited_on: date
    score: float
    counts: bool = True  # its proof of visit lets it into the fairness statistics


class VisitItemRow(msgspec.Struct, frozen=True, kw_only=True):
    submission_id: UUID
    item_key: str
    status: str


class BranchRow(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    code: str
    name_zh: str
    name_en: str
    region_id: UUID


class PeriodRow(msgspec.Struct, frozen=True, kw_only=True):
    period_start: date
    visits: int
    scored: int
    score_sum: Decimal
    score_sq_sum: Decimal
    passes: int


class ItemRow(msgspec.Struct, frozen=True, kw_only=True):
    item_key: str
    applicable: int
    failures: int
    partials: int
    repeat_failures: int
    branches_recurring: int


# The org's settings through org_settings() (org/sql/org_settings.sql: typed, defaults filled in).
SELECT_ORG_CONTEXT: Final = """
SELECT (s.v->>'min_ranked_visits')::int AS min_ranked_visits,
       (s.v->>'show_peer_names')::boolean AS show_peer_names,
       (SELECT max((now() AT TIME ZONE z.timezone)::date)
        FROM (SELECT DISTINCT timezone FROM branches WHERE org_id = o.id) z) AS today,
       (SELECT g.generation FROM rankings_generations g WHERE g.org_id = o.id) AS generation
FROM orgs o CROSS JOIN LATERAL (SELECT org_settings(o.id) AS v) s WHERE o.id = $1
"""

SELECT_REGION_VISIBLE: Final = "SELECT $4::uuid IN (SELECT visible_region_ids($1, $2, $3))"

SELECT_VISIBLE_REGIONS: Final = "SELECT r FROM visible_region_ids($1, $2, $3) AS r ORDER BY r"

SELECT_VISIBLE_BRANCH: Final = """
SELECT b.id, b.code, b.name_zh, b.name_en, b.region_id FROM branches b
WHERE b.org_id = $1 AND b.id = $4 AND b.id IN (SELECT visible_branch_ids($1, $2, $3))
"""

# A ranking page in one round trip. `t`: every branch of the visible regions (or of one region) that is
# active or was inspected in either period, with both periods' figures (zeros / NULL when not
# inspected; mean and variance are the roll-up's generated columns, migrations/0007) and whether it is
# ranked (>= $8 visits and a mean). Postgres orders (ranked by mean, then unranked by mean, then not
# inspected; ties by code) and cuts the page; the whole scope only contributes counts and the sorted
# ranked means, so a 2,000-branch org sends ~100 rows, not 2,000. `own` (named for branch managers) is
# only worked out for branch managers: for admins and regional leads every listed branch is theirs.
_PERIOD_FIGURES: Final = """
COALESCE({t}.visits, 0) AS {p}visits, COALESCE({t}.scored, 0) AS {p}scored, {t}.mean AS {p}mean,
{t}.variance AS {p}variance, COALESCE({t}.passes, 0) AS {p}passes,
(COALESCE({t}.visits, 0) >= $8 AND {t}.mean IS NOT NULL) AS {p}ranked
"""
_RANKING_PAGE: Final = f"""
WITH t AS (
    SELECT b.id AS branch_id, b.code, b.name_zh, b.name_en, b.region_id,
           CASE WHEN $3 = 'branch_manager' THEN b.id IN (SELECT visible_branch_ids($1, $2, $3)) ELSE true END
               AS own,
           {_PERIOD_FIGURES.format(t="c", p="")},
           {_PERIOD_FIGURES.format(t="p", p="prev_")}
    FROM branches b
    LEFT JOIN rollup_branch_periods c
           ON c.org_id = b.org_id AND c.form_key = $4 AND c.period_kind = $5 AND c.period_start = $6
          AND c.branch_id = b.id
    LEFT JOIN rollup_branch_periods p
           ON p.org_id = b.org_id AND p.form_key = $4 AND p.period_kind = $5 AND p.period_start = $7
          AND p.branch_id = b.id
    WHERE b.org_id = $1
      AND b.region_id IN (SELECT visible_region_ids($1, $2, $3))
      AND (b.active OR c.visits > 0 OR p.visits > 0)
      {{region_filter}}
), page AS (
    SELECT t.* FROM t ORDER BY t.ranked DESC, t.mean IS NULL, t.mean DESC, t.code LIMIT $9 OFFSET $10
)
SELECT count(*)::int AS total, COALESCE(sum(t.visits), 0)::int AS visits, COALESCE(sum(t.passes), 0)::int AS passes,
       COALESCE(array_agg(t.mean ORDER BY t.mean) FILTER (WHERE t.ranked), '{{{{}}}}') AS ranked_means,
       COALESCE(array_agg(t.prev_mean ORDER BY t.prev_mean) FILTER (WHERE t.prev_ranked), '{{{{}}}}')
           AS prev_ranked_means,
       (SELECT COALESCE(jsonb_agg(to_jsonb(page)
                                  ORDER BY page.ranked DESC, page.mean IS NULL, page.mean DESC, page.code), '[]')
        FROM page) AS rows
FROM t
"""
# Two statements, not `($11 IS NULL OR b.region_id = $11)`: the prepared statement's generic plan would
# guess a handful of branches for both and probe the roll-ups row by row (measured: 3x slower).
SELECT_ORG_RANKING_PAGE: Final = _RANKING_PAGE.format(region_filter="")
SELECT_REGION_RANKING_PAGE: Final = _RANKING_PAGE.format(region_filter="AND b.region_id = $11")

# Only for adjust=shrinkage: every scored branch of the scope in the period (σ², τ² and the adjusted ranks
# are over the whole scope, not the page). The same roll-up rows the page reads; the same two-statement split.
_SCOPE_SCORES: Final = """
SELECT b.id AS branch_id, b.region_id, c.scored, c.mean, c.variance, b.format
FROM branches b
JOIN rollup_branch_periods c
  ON c.org_id = b.org_id AND c.form_key = $4 AND c.period_kind = $5 AND c.period_start = $6 AND c.branch_id = b.id
WHERE b.org_id = $1
  AND b.region_id IN (SELECT visible_region_ids($1, $2, $3))
  AND c.scored > 0 AND c.mean IS NOT NULL
  {region_filter}
ORDER BY b.code
"""
SELECT_ORG_SCOPE_SCORES: Final = _SCOPE_SCORES.format(region_filter="")
SELECT_REGION_SCOPE_SCORES: Final = _SCOPE_SCORES.format(region_filter="AND b.region_id = $7")

# The inspector report reads released submissions of one period (not the roll-ups: who inspected is not in
# them), by the (org_id, branch_id, visited_on) index; a month of a 1M-visit org is ~40k rows. `counts`:
# whether the released revision's proof of visit lets it into the fairness statistics, when visits whose
# integrity reaches level $5 are left out (NULL: every visit counts): proof_counts_for_fairness, the
# submissions feature's SQL face of proof.counts_for_fairness (submissions/sql/).
SELECT_PERIOD_VISITS: Final = """
SELECT s.id AS submission_id, s.branch_id, b.code, b.name_zh, b.name_en, s.inspector_id, u.email, s.visited_on,
       s.total_percent::float8 AS score, proof_counts_for_fairness(r.proof, $5::text) AS counts
FROM submissions s
JOIN submission_revisions r ON r.org_id = s.org_id AND r.visited_on = s.visited_on
                          AND r.submission_id = s.id AND r.revision = s.current_revision
                          AND r.visited_on >= $3 AND r.visited_on < $4
JOIN form_versions fv ON fv.id = s.form_version_id
JOIN forms f ON f.id = fv.form_id
JOIN branches b ON b.id = s.branch_id AND b.org_id = s.org_id
JOIN users u ON u.id = s.inspector_id
WHERE s.org_id = $1 AND f.key = $2 AND s.status = 'released' AND s.total_percent IS NOT NULL
  AND s.visited_on >= $3 AND s.visited_on < $4
ORDER BY b.code, s.visited_on, s.id
"""

# Item outcomes of the released revisions of some submissions (the calibration pairs' only), each
# submission through its key row to the one month that holds it: its revision (`LIMIT 1`) and its facts
# (`OFFSET 0`) stay lookups per row, which the executor prunes to k.visited_on's month; joined by id alone,
# every month's index was probed for each (or every month's facts hashed).
SELECT_VISIT_ITEMS: Final = """
SELECT k.submission_id, i.item_key, i.status
FROM submission_keys k
CROSS JOIN LATERAL (SELECT r.id FROM submissions s
                    JOIN submission_revisions r ON r.org_id = s.org_id AND r.visited_on = s.visited_on
                                              AND r.submission_id = s.id AND r.revision = s.current_revision
                    WHERE s.org_id = k.org_id AND s.id = k.submission_id AND s.visited_on = k.visited_on
                    LIMIT 1) r
CROSS JOIN LATERAL (SELECT i.item_key, i.status FROM submission_items i
                    WHERE i.org_id = k.org_id AND i.visited_on = k.visited_on AND i.revision_id = r.id
                      AND i.status IN ('pass', 'fail', 'partial', 'na')
                    OFFSET 0) i  -- kept a per-row lookup (not flattened into a join of every month's facts)
WHERE k.org_id = $1 AND k.submission_id = ANY($2::uuid[])
"""

SELECT_TREND: Final = """
SELECT period_start, visits, scored, score_sum, score_sq_sum, passes
FROM rollup_branch_periods
WHERE org_id = $1 AND branch_id = $2 AND form_key = $3 AND period_kind = $4
  AND period_start >= $5 AND period_start <= $6
ORDER BY period_start
"""

# Item failure counts summed over one branch, one region or the whole org (the service checks scope).
SELECT_ITEMS: Final = """
SELECT r.item_key, sum(r.applicable)::int AS applicable, sum(r.failures)::int AS failures,
       sum(r.partials)::int AS partials, sum(r.repeat_failures)::int AS repeat_failures,
       count(*) FILTER (WHERE r.repeat_failures > 0)::int AS branches_recurring
FROM rollup_item_periods r
JOIN branches b ON b.id = r.branch_id AND b.org_id = r.org_id
WHERE r.org_id = $1 AND r.form_key = $2 AND r.period_kind = $3 AND r.period_start = $4
  AND ($5::uuid IS NULL OR r.branch_id = $5)
  AND ($6::uuid IS NULL OR b.region_id = $6)
GROUP BY r.item_key
"""
# The whole org's (admins, no branch or region: #20): the period's roll-up rows alone, one range of the
# primary key, without SELECT_ITEMS' join to branches (every roll-up row has its branch: the foreign key
# cascades), which hashed the org's branches and probed it once per row (a third of the time at 2,001
# branches). The same sums.
SELECT_ORG_ITEMS: Final = """
SELECT r.item_key, sum(r.applicable)::int AS applicable, sum(r.failures)::int AS failures,
       sum(r.partials)::int AS partials, sum(r.repeat_failures)::int AS repeat_failures,
       count(*) FILTER (WHERE r.repeat_failures > 0)::int AS branches_recurring
FROM rollup_item_periods r
WHERE r.org_id = $1 AND r.form_key = $2 AND r.period_kind = $3 AND r.period_start = $4
GROUP BY r.item_key
"""

SELECT_VISITS: Final = """
SELECT COALESCE(sum(r.visits), 0)::int
FROM rollup_branch_periods r
JOIN branches b ON b.id = r.branch_id AND b.org_id = r.org_id
WHERE r.org_id = $1 AND r.form_key = $2 AND r.period_kind = $3 AND r.period_start = $4
  AND ($5::uuid IS NULL OR r.branch_id = $5)
  AND ($6::uuid IS NULL OR b.region_id = $6)
"""
# The whole org's, as SELECT_ORG_ITEMS.
SELECT_ORG_VISITS: Final = """
SELECT COALESCE(sum(r.visits), 0)::int FROM rollup_branch_periods r
WHERE r.org_id = $1 AND r.form_key = $2 AND r.period_kind = $3 AND r.period_start = $4
"""

# The newest published document of the form key the org uses: its own form first, else the catalogue's.
SELECT_LATEST_DOCUMENT: Final = """
SELECT fv.document FROM form_versions fv JOIN forms f ON f.id = fv.form_id
WHERE f.key = $2 AND (f.org_id = $1 OR f.org_id IS NULL) AND fv.status = 'published'
ORDER BY f.org_id NULLS LAST, fv.version DESC
LIMIT 1
"""


# ---- the held scope (#20, rankings/scope_state.py): read whole once, then only what the change log names ----

class ScopeContextRow(msgspec.Struct, frozen=True, kw_only=True):
    generation: int | None
    min_ranked_visits: int | None
    show_peer_names: bool | None
    timezones: list[str]


class ChangesRow(msgspec.Struct, frozen=True, kw_only=True):
    generation: int | None
    logged: int  # change-log rows over (since, generation]: complete when generation - since
    everything: bool  # one of them was not a few roll-up rows: recompute
    rows: list[Any] | None  # the changed branches' figures (scope_state.BranchFigures), None: none changed


# Settings and time zones with the generation: read in the same snapshot as the scope (scope_figures).
SELECT_SCOPE_CONTEXT: Final = """
SELECT (SELECT g.generation FROM rankings_generations g WHERE g.org_id = o.id) AS generation,
       (s.v->>'min_ranked_visits')::int AS min_ranked_visits, (s.v->>'show_peer_names')::boolean AS show_peer_names,
       ARRAY(SELECT DISTINCT b.timezone FROM branches b WHERE b.org_id = o.id ORDER BY 1) AS timezones
FROM orgs o CROSS JOIN LATERAL (SELECT org_settings(o.id) AS v) s WHERE o.id = $1
"""

# Every branch of the org with both periods' figures (the ranking page's `t`, unfiltered: the worker filters).
_SCOPE_FIGURES: Final = """
SELECT b.id AS branch_id, b.code, b.name_zh, b.name_en, b.region_id, b.active, b.format,
       COALESCE(c.visits, 0) AS visits, COALESCE(c.scored, 0) AS scored, c.mean, c.variance,
       COALESCE(c.passes, 0) AS passes,
       COALESCE(p.visits, 0) AS prev_visits, COALESCE(p.scored, 0) AS prev_scored, p.mean AS prev_mean,
       p.variance AS prev_variance, COALESCE(p.passes, 0) AS prev_passes
FROM branches b
LEFT JOIN rollup_branch_periods c
       ON c.org_id = b.org_id AND c.form_key = $2 AND c.period_kind = $3 AND c.period_start = $4
      AND c.branch_id = b.id
LEFT JOIN rollup_branch_periods p
       ON p.org_id = b.org_id AND p.form_key = $2 AND p.period_kind = $3 AND p.period_start = $5
      AND p.branch_id = b.id
WHERE b.org_id = $1 {branch_filter}
"""
SELECT_SCOPE_FIGURES: Final = _SCOPE_FIGURES.format(branch_filter="")

# One statement (one snapshot): the org's generation, whether the log over (since, generation] is whole
# and holds only roll-up changes, and the current figures of the branches it names for this form and
# either period. A warm view (since = generation) reads the generation and an empty range of the log.
SELECT_CHANGES_SINCE: Final = f"""
WITH g AS (
    SELECT generation FROM rankings_generations WHERE org_id = $1
), log AS (
    SELECT c.everything, c.form_keys, c.period_kinds, c.period_starts, c.branch_ids
    FROM rankings_changes c
    WHERE c.org_id = $1 AND c.generation > $6 AND c.generation <= (SELECT generation FROM g)
), changed AS (
    SELECT DISTINCT u.branch_id
    FROM log l CROSS JOIN LATERAL unnest(l.form_keys, l.period_kinds, l.period_starts, l.branch_ids)
         AS u (form_key, kind, start, branch_id)
    WHERE u.form_key = $2 AND u.kind = $3 AND u.start IN ($4, $5)
)
SELECT (SELECT generation FROM g) AS generation, (SELECT count(*) FROM log)::int AS logged,
       COALESCE((SELECT bool_or(everything) FROM log), false) AS everything,
       (SELECT jsonb_agg(to_jsonb(f)) FROM ({_SCOPE_FIGURES.format(
           branch_filter="AND b.id IN (SELECT branch_id FROM changed)")}) f) AS rows
"""


SELECT_GENERATION: Final = "SELECT generation FROM rankings_generations WHERE org_id = $1"


async def generation(conn: asyncpg.Connection, org_id: UUID) -> int | None:
    return await conn.fetchval(SELECT_GENERATION, org_id)


async def scope_context(conn: asyncpg.Connection, org_id: UUID) -> ScopeContextRow:
    return one_to(ScopeContextRow, await conn.fetchrow(SELECT_SCOPE_CONTEXT, org_id))


async def scope_figures(
    conn: asyncpg.Connection, org_id: UUID, form_key: str, kind: str, start: date, previous_start: date,
) -> list[asyncpg.Record]:
    """Every branch of the org with both periods' figures (rows for scope_state.BranchFigures)."""
    return await conn.fetch(SELECT_SCOPE_FIGURES, org_id, form_key, kind, start, previous_start)


async def changes_since(
    conn: asyncpg.Connection, org_id: UUID, form_key: str, kind: str, start: date, previous_start: date,
    since: int,
) -> ChangesRow:
    return one_to(ChangesRow, await conn.fetchrow(SELECT_CHANGES_SINCE, org_id, form_key, kind, start,
                                                  previous_start, since))


async def org_context(conn: asyncpg.Connection, org_id: UUID) -> OrgContext:
    return one_to(OrgContext, await conn.fetchrow(SELECT_ORG_CONTEXT, org_id))


async def region_visible(conn: asyncpg.Connection, org_id: UUID, user_id: UUID, role: str, region_id: UUID) -> bool:
    return bool(await conn.fetchval(SELECT_REGION_VISIBLE, org_id, user_id, role, region_id))


async def visible_regions(conn: asyncpg.Connection, org_id: UUID, user_id: UUID, role: str) -> list[UUID]:
    return [row[0] for row in await conn.fetch(SELECT_VISIBLE_REGIONS, org_id, user_id, role)]


async def visible_branch(
    conn: asyncpg.Connection, org_id: UUID, user_id: UUID, role: str, branch_id: UUID
) -> BranchRow | None:
    return row_to(BranchRow, await conn.fetchrow(SELECT_VISIBLE_BRANCH, org_id, user_id, role, branch_id))


async def ranking_page(
    conn: asyncpg.Connection,
    org_id: UUID,
    user_id: UUID,
    role: str,
    form_key: str,
    kind: str,
    start: date,
    previous_start: date,
    min_visits: int,
    limit: int | None,
    offset: int,
    region_id: UUID | None,
) -> RankingPage:
    args = (org_id, user_id, role, form_key, kind, start, previous_start, min_visits, limit, offset)
    if region_id is None:
        row = await conn.fetchrow(SELECT_ORG_RANKING_PAGE, *args)
    else:
        row = await conn.fetchrow(SELECT_REGION_RANKING_PAGE, *args, region_id)
    return one_to(RankingPage, row)


async def scope_scores(
    conn: asyncpg.Connection, org_id: UUID, user_id: UUID, role: str, form_key: str, kind: str, start: date,
    region_id: UUID | None,
) -> list[ScoredBranchRow]:
    args = (org_id, user_id, role, form_key, kind, start)
    if region_id is None:
        return rows_to(ScoredBranchRow, await conn.fetch(SELECT_ORG_SCOPE_SCORES, *args))
    return rows_to(ScoredBranchRow, await conn.fetch(SELECT_REGION_SCOPE_SCORES, *args, region_id))


async def period_visits(
    conn: asyncpg.Connection, org_id: UUID, form_key: str, start: date, end: date,
    exclude_from: str | None = None,
) -> list[PeriodVisitRow]:
    """Every released scored visit of the period; `counts` False on those the integrity rule leaves out."""
    return rows_to(PeriodVisitRow, await conn.fetch(SELECT_PERIOD_VISITS, org_id, form_key, start, end,
                                                    exclude_from))


async def visit_items(conn: asyncpg.Connection, org_id: UUID, submission_ids: list[UUID]) -> list[VisitItemRow]:
    return rows_to(VisitItemRow, await conn.fetch(SELECT_VISIT_ITEMS, org_id, submission_ids))


async def trend(
    conn: asyncpg.Connection, org_id: UUID, branch_id: UUID, form_key: str, kind: str, first: date, last: date
) -> list[PeriodRow]:
    return rows_to(PeriodRow, await conn.fetch(SELECT_TREND, org_id, branch_id, form_key, kind, first, last))


async def items(
    conn: asyncpg.Connection, org_id: UUID, form_key: str, kind: str, start: date,
    branch_id: UUID | None, region_id: UUID | None,
) -> list[ItemRow]:
    if branch_id is None and region_id is None:
        return rows_to(ItemRow, await conn.fetch(SELECT_ORG_ITEMS, org_id, form_key, kind, start))
    return rows_to(ItemRow, await conn.fetch(SELECT_ITEMS, org_id, form_key, kind, start, branch_id, region_id))


async def visits(
    conn: asyncpg.Connection, org_id: UUID, form_key: str, kind: str, start: date,
    branch_id: UUID | None, region_id: UUID | None,
) -> int:
    if branch_id is None and region_id is None:
        return int(await conn.fetchval(SELECT_ORG_VISITS, org_id, form_key, kind, start))
    return int(await conn.fetchval(SELECT_VISITS, org_id, form_key, kind, start, branch_id, region_id))


async def latest_document(conn: asyncpg.Connection, org_id: UUID, form_key: str) -> dict[str, Any] | None:
    return await conn.fetchval(SELECT_LATEST_DOCUMENT, org_id, form_key)
