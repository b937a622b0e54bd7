"""EXIF capture times against the visit, missing EXIF, and the integrity summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from inspect_api.submissions.proof import (
    PHOTO_FAR_OFF,
    PHOTO_SLACK,
    UNKNOWN_ZONE_SLACK,
    IntegrityReason,
    PhotoEvidence,
    ProofOfVisit,
    assess,
    counts_for_fairness,
    summarise,
)

# 09:00 UTC is 17:00 in Shanghai (UTC+8, no DST).
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
FINISH = START + timedelta(minutes=30)
BRANCH = (31.2304, 121.4737)
ZONE = "Asia/Shanghai"


def local(instant: datetime) -> datetime:
    """The naive Shanghai wall-clock time a camera there would write into EXIF."""
    return (instant + timedelta(hours=8)).replace(tzinfo=None)


def photo(taken_at: datetime | None, **fields: Any) -> PhotoEvidence:
    return PhotoEvidence(photo_id="p1", distance_m=fields.pop("distance_m", 5.0), taken_at=taken_at, **fields)


def assessed(*photos: PhotoEvidence, **overrides: Any) -> ProofOfVisit:
    args: dict[str, Any] = dict(
        branch_location=BRANCH,
        gps=BRANCH,
        gps_accuracy_m=10.0,
        started_at=START,
        finished_at=FINISH,
        window=(START - timedelta(hours=1), START + timedelta(hours=2)),
        photos=list(photos),
        timezone=ZONE,
    )
    return assess(**(args | overrides))


def test_a_photo_taken_during_the_visit_in_local_time_is_fine() -> None:
    proof = assessed(photo(local(START + timedelta(minutes=10))))
    assert proof.warnings == [] and proof.integrity is not None and proof.integrity.level == "ok"


def test_exif_time_is_read_in_the_branch_time_zone() -> None:
    # 17:10 wall clock is fine in Shanghai; read as UTC it would be 8 hours after the visit.
    taken = local(START + timedelta(minutes=10))
    assert assessed(photo(taken)).warnings == []
    in_utc = assessed(photo(taken), timezone="UTC")
    assert in_utc.warnings == [
        "photo p1 was taken 7.7 hours after the inspection finished",
        "photo p1 was taken outside the visit window",
    ]
    assert in_utc.integrity is not None and in_utc.integrity.level == "review"


def test_a_photo_taken_700_days_before_the_visit_is_suspect() -> None:
    proof = assessed(photo(local(START - timedelta(days=700))))
    assert "photo p1 was taken 700 days before the inspection started" in proof.warnings
    assert proof.integrity is not None and proof.integrity.level == "suspect"


def test_without_the_branch_zone_only_plainly_other_days_are_flagged() -> None:
    """Intake may not pass the zone yet: the EXIF time is then read as UTC with 14 h more slack."""
    same_day = assessed(photo(local(START + timedelta(minutes=10))), timezone=None)
    assert same_day.warnings == []
    old = assessed(photo(local(START - timedelta(days=700))), timezone=None)
    assert old.integrity is not None and old.integrity.level == "suspect"


def test_a_photo_without_exif_time_or_gps_is_itself_a_warning() -> None:
    proof = assessed(photo(None, distance_m=None))
    assert proof.warnings == [
        "photo p1 has no EXIF capture time (screenshot or re-saved?)",
        "photo p1 has no EXIF GPS (screenshot or re-saved?)",
    ]
    assert proof.integrity is not None and proof.integrity.level == "review"


def test_missing_gps_is_told_explicitly_or_inferred_only_when_the_branch_has_coordinates() -> None:
    taken = local(START)
    assert assessed(photo(taken, distance_m=None), branch_location=None).warnings == []
    told = assessed(photo(taken, distance_m=None, has_gps=False), branch_location=None)
    assert told.warnings == ["photo p1 has no EXIF GPS (screenshot or re-saved?)"]


def test_far_gps_and_reused_photos_make_a_submission_suspect() -> None:
    far = assessed(gps=(BRANCH[0] + 0.05, BRANCH[1]))
    assert far.integrity is not None and far.integrity.level == "suspect"
    reused = assessed(photo(local(START), reused_from=["s-older"]))
    assert reused.integrity is not None and reused.integrity.level == "suspect"


def test_the_summary_keeps_every_reason_and_matches_the_warnings() -> None:
    proof = assessed(photo(None, distance_m=None), photo(local(START - timedelta(days=3))), gps=None)
    assert proof.integrity is not None
    assert [reason.message for reason in proof.integrity.reasons] == proof.warnings
    assert proof.integrity.level == "suspect"


def test_a_proof_stored_before_the_summary_still_decodes() -> None:
    old = {"gps_distance_m": 1.0, "gps_accuracy_m": 5.0, "near_branch": True, "within_window": True,
           "photos": [{"photo_id": "p", "distance_m": 1.0, "taken_at": None}], "warnings": []}
    proof = msgspec.convert(old, ProofOfVisit)
    assert proof.integrity is None and proof.photos[0].has_gps is None


offsets = st.integers(-int(timedelta(days=800).total_seconds()), int(timedelta(days=800).total_seconds()))


@given(offsets)
def test_a_photo_is_flagged_iff_it_lies_beyond_the_slack_around_the_inspection(seconds: int) -> None:
    taken = START + timedelta(seconds=seconds)
    proof = assessed(photo(local(taken)), window=None)
    inside = START - PHOTO_SLACK <= taken <= FINISH + PHOTO_SLACK
    assert (proof.warnings == []) == inside
    assert proof.integrity is not None
    far = taken < START - PHOTO_FAR_OFF or taken > FINISH + PHOTO_FAR_OFF
    assert proof.integrity.level == ("ok" if inside else "suspect" if far else "review")


@given(offsets)
def test_without_a_zone_the_slack_widens_by_the_widest_utc_offset(seconds: int) -> None:
    naive = local(START) + timedelta(seconds=seconds)
    proof = assessed(photo(naive), window=None, timezone=None)
    as_utc = naive.replace(tzinfo=UTC)
    slack = PHOTO_SLACK + UNKNOWN_ZONE_SLACK
    assert (proof.warnings == []) == (START - slack <= as_utc <= FINISH + slack)




@given(st.lists(st.tuples(st.sampled_from(["review", "suspect"]), st.text(max_size=5)), max_size=6))
def test_the_level_is_the_worst_reason(pairs: list[tuple[str, str]]) -> None:
    reasons = [IntegrityReason(level=level, message=message) for level, message in pairs]  # type: ignore[arg-type]
    summary = summarise(reasons)
    present = {level for level, _ in pairs}
    assert summary.level == ("suspect" if "suspect" in present else "review" if present else "ok")
    assert summary.reasons == reasons


def test_the_fairness_report_can_exclude_suspect_visits() -> None:
    fine = assessed(photo(local(START)))
    old_photo = assessed(photo(local(START - timedelta(days=700))))
    no_exif = assessed(photo(None))
    assert counts_for_fairness(fine) and counts_for_fairness(no_exif) and not counts_for_fairness(old_photo)
    assert not counts_for_fairness(no_exif, exclude_from="review")
    assert counts_for_fairness(None) and counts_for_fairness(msgspec.structs.replace(old_photo, integrity=None))
