"""Proof of visit: pure checks of where and when the inspection happened. Shown to QA only."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Final

import msgspec

EARTH_RADIUS_M: Final = 6_371_008.8
# Farther than this from the branch (beyond the fix's own accuracy) is worth a QA look.
NEAR_BRANCH_M: Final = 300.0
# Phone clocks drift and inspectors start a little early or finish late.
WINDOW_SLACK: Final = timedelta(minutes=30)


class PhotoEvidence(msgspec.Struct, frozen=True, kw_only=True):
    photo_id: str
    distance_m: float | None  # EXIF GPS to branch
    taken_at: datetime | None  # EXIF DateTimeOriginal (no time zone)
    reused_from: list[str] = []  # ids of submissions where a near-identical photo was used


class ProofOfVisit(msgspec.Struct, frozen=True, kw_only=True):
    gps_distance_m: float | None
    gps_accuracy_m: float | None
    near_branch: bool | None  # None: no GPS fix or branch has no coordinates
    within_window: bool | None  # None: no scheduled window (ad-hoc)
    photos: list[PhotoEvidence]
    warnings: list[str]


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
) -> ProofOfVisit:
    distance = _distance(gps, branch_location)
    near = None if distance is None else distance <= NEAR_BRANCH_M + (gps_accuracy_m or 0.0)
    within = None
    if window is not None:
        within = window[0] - WINDOW_SLACK <= started_at and finished_at <= window[1] + WINDOW_SLACK
    warnings: list[str] = []
    if near is False:
        warnings.append(f"submission GPS is {distance:.0f} m from the branch")
    if within is False:
        warnings.append("device times fall outside the visit window")
    for photo in photos:
        if photo.distance_m is not None and photo.distance_m > NEAR_BRANCH_M:
            warnings.append(f"photo {photo.photo_id} was taken {photo.distance_m:.0f} m from the branch")
        if photo.reused_from:
            warnings.append(f"photo {photo.photo_id} resembles photos of other submissions")
    return ProofOfVisit(
        gps_distance_m=distance,
        gps_accuracy_m=gps_accuracy_m,
        near_branch=near,
        within_window=within,
        photos=photos,
        warnings=warnings,
    )


def photo_distance(
    exif: tuple[float, float] | None, branch_location: tuple[float, float] | None
) -> float | None:
    return _distance(exif, branch_location)
