"""Proof of visit: pure checks of where and when the inspection happened. Shown to QA only.

Photo capture times: EXIF DateTimeOriginal is the camera's local wall-clock time with no zone, so
it is read in the branch's time zone. A photo counts as taken during the visit when it lies within
``PHOTO_SLACK`` of the inspector's started_at..finished_at and within ``WINDOW_SLACK`` +
``PHOTO_SLACK`` of the scheduled window. Without the branch's zone the EXIF time is compared as if
it were UTC with ``UNKNOWN_ZONE_SLACK`` more on each side (the widest offset from UTC), so only
photos that are plainly from another day are flagged.

Integrity summary: ``suspect`` when a fact points at a visit that did not happen as submitted
(GPS far from the branch, a photo reused from other submissions or taken more than
``PHOTO_FAR_OFF`` away from the visit); ``review`` for any other warning (device times off the
window, photos without EXIF time or GPS, as screenshots and re-saved images are); else ``ok``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

import msgspec

EARTH_RADIUS_M: Final = 6_371_008.8
# Farther than this from the branch (beyond the fix's own accuracy) is worth a QA look.
NEAR_BRANCH_M: Final = 300.0
# Phone clocks drift and inspectors start a little early or finish late.
WINDOW_SLACK: Final = timedelta(minutes=30)
# A photo may be taken a little before the form is opened or after it is closed.
PHOTO_SLACK: Final = timedelta(hours=2)
# Farther than this from the visit is no clock drift: the photo shows another day.
PHOTO_FAR_OFF: Final = timedelta(hours=24)
# Time zones span UTC-12..UTC+14.
UNKNOWN_ZONE_SLACK: Final = timedelta(hours=14)

IntegrityLevel = Literal["ok", "review", "suspect"]
LEVEL_ORDER: Final[dict[str, int]] = {"ok": 0, "review": 1, "suspect": 2}


class PhotoEvidence(msgspec.Struct, frozen=True, kw_only=True):
    photo_id: str
    distance_m: float | None  # EXIF GPS to branch
    taken_at: datetime | None  # EXIF DateTimeOriginal (no time zone)
    reused_from: list[str] = []  # ids of submissions where a near-identical photo was used
    # Whether the photo carried EXIF GPS; None: not told (then inferred from distance_m when the
    # branch has coordinates).
    has_gps: bool | None = None


class IntegrityReason(msgspec.Struct, frozen=True, kw_only=True):
    level: IntegrityLevel
    message: str


class Integrity(msgspec.Struct, frozen=True, kw_only=True):
    """One submission's proof-of-visit verdict for the review queue, with why."""

    level: IntegrityLevel
    reasons: list[IntegrityReason]


class ProofOfVisit(msgspec.Struct, frozen=True, kw_only=True):
    gps_distance_m: float | None
    gps_accuracy_m: float | None
    near_branch: bool | None  # None: no GPS fix or branch has no coordinates
    within_window: bool | None  # None: no scheduled window (ad-hoc)
    photos: list[PhotoEvidence]
    warnings: list[str]
    integrity: Integrity | None = None  # None on proofs stored before the summary existed


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _distance(point: tuple[float, float] | None, branch: tuple[float, float] | None) -> float | None:
    if point is None or branch is None:
        return None
    return round(haversine_m(*point, *branch), 1)


def assess(
    *,
    branch_location: tuple[float, float] | None,
    gps: tuple[float, float] | None,
    gps_accuracy_m: float | None,
    started_at: datetime,
    finished_at: datetime,
    window: tuple[datetime, datetime] | None,
    photos: list[PhotoEvidence],
    timezone: str | None = None,
) -> ProofOfVisit:
    """``timezone``: the branch's IANA zone, used to read EXIF capture times (see module doc)."""
    distance = _distance(gps, branch_location)
    near = None if distance is None else distance <= NEAR_BRANCH_M + (gps_accuracy_m or 0.0)
    within = None
    if window is not None:
        within = window[0] - WINDOW_SLACK <= started_at and finished_at <= window[1] + WINDOW_SLACK
    reasons: list[IntegrityReason] = []
    if near is False:
        reasons.append(_why("suspect", f"submission GPS is {distance:.0f} m from the branch"))
    if within is False:
        reasons.append(_why("review", "device times fall outside the visit window"))
    zone = None if timezone is None else ZoneInfo(timezone)
    for photo in photos:
        if photo.distance_m is not None and photo.distance_m > NEAR_BRANCH_M:
            reasons.append(
                _why("suspect", f"photo {photo.photo_id} was taken {photo.distance_m:.0f} m from the branch")
            )
        if photo.reused_from:
            reasons.append(
                _why("suspect", f"photo {photo.photo_id} resembles photos of other submissions")
            )
        reasons.extend(_photo_time_reasons(photo, zone, started_at, finished_at, window))
        has_gps = photo.has_gps
        if has_gps is None and branch_location is not None:
            has_gps = photo.distance_m is not None
        if has_gps is False:
            reasons.append(
                _why("review", f"photo {photo.photo_id} has no EXIF GPS (screenshot or re-saved?)")
            )
    return ProofOfVisit(
        gps_distance_m=distance,
        gps_accuracy_m=gps_accuracy_m,
        near_branch=near,
        within_window=within,
        photos=photos,
        warnings=[reason.message for reason in reasons],
        integrity=summarise(reasons),
    )


def _why(level: IntegrityLevel, message: str) -> IntegrityReason:
    return IntegrityReason(level=level, message=message)


def summarise(reasons: list[IntegrityReason]) -> Integrity:
    """The worst level among the reasons (ok without any), keeping every reason."""
    level: IntegrityLevel = "ok"
    for reason in reasons:
        if LEVEL_ORDER[reason.level] > LEVEL_ORDER[level]:
            level = reason.level
    return Integrity(level=level, reasons=list(reasons))


def exif_instant(taken_at: datetime, zone: ZoneInfo | None) -> datetime:
    """An EXIF wall-clock time as an aware instant: in the branch's zone, else as if UTC."""
    if taken_at.tzinfo is not None:
        return taken_at
    return taken_at.replace(tzinfo=zone or UTC)


def _describe_gap(gap: timedelta) -> str:
    hours = gap.total_seconds() / 3600
    return f"{hours / 24:.0f} days" if hours >= 48 else f"{hours:.1f} hours"


def _photo_time_reasons(
    photo: PhotoEvidence,
    zone: ZoneInfo | None,
    started_at: datetime,
    finished_at: datetime,
    window: tuple[datetime, datetime] | None,
) -> list[IntegrityReason]:
    if photo.taken_at is None:
        message = f"photo {photo.photo_id} has no EXIF capture time (screenshot or re-saved?)"
        return [IntegrityReason(level="review", message=message)]
    taken = exif_instant(photo.taken_at, zone)
    slack = PHOTO_SLACK + (UNKNOWN_ZONE_SLACK if zone is None and photo.taken_at.tzinfo is None else timedelta(0))
    reasons: list[IntegrityReason] = []
    if taken < started_at - slack or taken > finished_at + slack:
        gap = started_at - taken if taken < started_at else taken - finished_at
        side = "before the inspection started" if taken < started_at else "after the inspection finished"
        # The zone's own uncertainty (slack beyond PHOTO_SLACK) is not evidence of another day.
        level: IntegrityLevel = "suspect" if gap > PHOTO_FAR_OFF + (slack - PHOTO_SLACK) else "review"
        reasons.append(
            _why(level, f"photo {photo.photo_id} was taken {_describe_gap(gap)} {side}")
        )
    if window is not None and not (
        window[0] - WINDOW_SLACK - slack <= taken <= window[1] + WINDOW_SLACK + slack
    ):
        reasons.append(
            _why("review", f"photo {photo.photo_id} was taken outside the visit window")
        )
    return reasons


def photo_distance(
    exif: tuple[float, float] | None, branch_location: tuple[float, float] | None
) -> float | None:
    return _distance(exif, branch_location)


def counts_for_fairness(proof: ProofOfVisit | None, *, exclude_from: IntegrityLevel = "suspect") -> bool:
    """Whether a visit's result may enter the fairness statistics: not when its integrity level
    reaches ``exclude_from``. Proofs stored before the summary existed (or none) count."""
    if proof is None or proof.integrity is None:
        return True
    return LEVEL_ORDER[proof.integrity.level] < LEVEL_ORDER[exclude_from]
