"""Which photos a submission may use: the visit the upload slot was asked for (#14 item 8)."""

from __future__ import annotations

from uuid import UUID, uuid4

from hypothesis import given
from hypothesis import strategies as st

from inspect_api.submissions.intake import photos_of_other_visits
from inspect_api.submissions.queries import IntakePhoto

VISITS = [uuid4(), uuid4()]


def photo(visit_id: UUID | None) -> IntakePhoto:
    return IntakePhoto(id=uuid4(), status="verified", object_key="k", content_type="image/jpeg", size_bytes=1,
                       phash=None, exif_latitude=None, exif_longitude=None, exif_taken_at=None, visit_id=visit_id)


@given(st.lists(st.sampled_from([None, *VISITS])), st.sampled_from([None, *VISITS]))
def test_a_photo_fits_its_own_visit_or_any_when_asked_for_none(
    asked: list[UUID | None], submitted: UUID | None
) -> None:
    photos = [photo(visit) for visit in asked]
    refused = set(photos_of_other_visits(photos, submitted))
    assert refused == {p.id for p in photos if p.visit_id not in (None, submitted)}


def test_refused_photos_come_in_id_order() -> None:
    photos = [photo(VISITS[0]) for _ in range(5)]
    assert photos_of_other_visits(photos, None) == sorted((p.id for p in photos), key=str)
