from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspect_api.submissions.proof import NEAR_BRANCH_M, PhotoEvidence, assess, haversine_m

UTC = UTC
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
BRANCH = (31.2304, 121.4737)  # Shanghai, People's Square


def test_haversine_matches_a_known_distance() -> None:
    beijing, shanghai = (39.9042, 116.4074), (31.2304, 121.4737)
    assert haversine_m(*beijing, *shanghai) == pytest.approx(1_067_000, rel=0.01)


@given(
    st.floats(-89, 89), st.floats(-179, 179), st.floats(-89, 89), st.floats(-179, 179),
)
def test_haversine_is_symmetric_and_non_negative(lat1: float, lon1: float, lat2: float, lon2: float) -> None:
    there = haversine_m(lat1, lon1, lat2, lon2)
    back = haversine_m(lat2, lon2, lat1, lon1)
    assert there >= 0
    assert there == pytest.approx(back, abs=1e-6)


def _assess(**overrides):
    args = dict(
        branch_location=BRANCH,
        gps=BRANCH,
        gps_accuracy_m=10.0,
        started_at=START,
        finished_at=START + timedelta(minutes=20),
        window=(START - timedelta(hours=1), START + timedelta(hours=2)),
        photos=[],
    )
    return assess(**(args | overrides))


def test_a_visit_at_the_branch_inside_its_window_has_no_warnings() -> None:
    proof = _assess()
    assert proof.near_branch is True and proof.within_window is True
    assert proof.gps_distance_m == 0.0
    assert proof.warnings == []


def test_far_gps_is_flagged_but_accuracy_is_allowed_for() -> None:
    about_1km_north = (BRANCH[0] + 0.009, BRANCH[1])
    assert _assess(gps=about_1km_north).near_branch is False
    assert "from the branch" in _assess(gps=about_1km_north).warnings[0]
    assert _assess(gps=about_1km_north, gps_accuracy_m=2000).near_branch is True
    assert NEAR_BRANCH_M < haversine_m(*BRANCH, *about_1km_north)


def test_times_outside_the_window_are_flagged_with_slack() -> None:
    window = (START, START + timedelta(hours=1))
    assert _assess(window=window, started_at=START - timedelta(minutes=20)).within_window is True
    late = _assess(window=window, finished_at=START + timedelta(hours=3))
    assert late.within_window is False
    assert "outside the visit window" in late.warnings[0]


def test_unknowns_stay_unknown() -> None:
    proof = _assess(gps=None, window=None, branch_location=None)
    assert proof.near_branch is None and proof.within_window is None and proof.gps_distance_m is None


def test_reused_and_far_photos_are_warned() -> None:
    photos = [
        PhotoEvidence(photo_id="p1", distance_m=5000.0, taken_at=None),
        PhotoEvidence(photo_id="p2", distance_m=3.0, taken_at=None, reused_from=["s-older"]),
    ]
    warnings = _assess(photos=photos).warnings
    assert any("p1" in w and "5000 m" in w for w in warnings)
    assert any("p2" in w and "other submissions" in w for w in warnings)
