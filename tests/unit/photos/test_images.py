from __future__ import annotations

import io
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import ExifTags, Image

from inspect_api.photos import images
from inspect_api.photos.images import ImageError, analyse, hamming, redact_to_jpeg, sniff_content_type
from tests.unit.photos.samples import encode, exif_with, jpeg, scene

ALL_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic")


@pytest.mark.parametrize("content_type", ALL_TYPES)
def test_sniff_recognises_each_format_pillow_writes(content_type: str) -> None:
    data = encode(scene(1, (64, 48)), content_type)
    assert sniff_content_type(data) == content_type
    assert analyse(data, content_type).width == 64


@pytest.mark.parametrize(
    "data",
    [
        b"hello, this is a text file renamed to photo.jpg\n",
        b"",
        b"\xff\xd8",  # too short for the JPEG marker
        b"RIFF\x00\x00\x00\x00WAVEfmt ",  # RIFF but audio
        b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00",  # MP4 video, not HEIC
        b"GIF89a\x01\x00\x01\x00",
    ],
)
def test_sniff_rejects_what_is_not_an_allowed_image(data: bytes) -> None:
    assert sniff_content_type(data) is None


def test_heic_brands() -> None:
    for brand in (b"heic", b"heix", b"hevc", b"mif1", b"msf1"):
        assert sniff_content_type(b"\x00\x00\x00\x18ftyp" + brand + b"\x00" * 8) == "image/heic"


def test_renamed_text_file_is_not_a_jpeg() -> None:
    with pytest.raises(ImageError, match="not a valid image/jpeg"):
        analyse(b"just some text\n" * 100, "image/jpeg")


def test_declared_type_must_match_the_bytes() -> None:
    png = encode(scene(2, (64, 48)), "image/png")
    with pytest.raises(ImageError, match="not a valid image/jpeg"):
        analyse(png, "image/jpeg")


@pytest.mark.parametrize("content_type", ALL_TYPES)
def test_truncated_image_is_rejected(content_type: str) -> None:
    data = encode(scene(3), content_type)
    with pytest.raises(ImageError):
        analyse(data[: len(data) // 2], content_type)


def test_magic_number_with_garbage_behind_it_is_rejected() -> None:
    with pytest.raises(ImageError):
        analyse(b"\xff\xd8\xff\xe0" + b"\x00garbage" * 50, "image/jpeg")


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash_analyse(data: bytes) -> None:
    for content_type in ALL_TYPES:
        try:
            analyse(data, content_type)
        except ImageError:
            pass


def test_phash_is_stable_under_reencoding_and_resizing() -> None:
    original = scene(4, (640, 480))
    a = analyse(encode(original, "image/jpeg", quality=95), "image/jpeg").phash
    b = analyse(encode(original, "image/jpeg", quality=35), "image/jpeg").phash
    c = analyse(encode(original.resize((320, 240)), "image/png"), "image/png").phash
    d = analyse(encode(original, "image/webp", quality=60), "image/webp").phash
    assert len(a) == 16 and int(a, 16) >= 0
    for other in (b, c, d):
        assert hamming(a, other) <= 6


def test_phash_differs_for_different_scenes() -> None:
    hashes = [analyse(jpeg(seed), "image/jpeg").phash for seed in range(5)]
    for i in range(len(hashes)):
        for j in range(i + 1, len(hashes)):
            assert hamming(hashes[i], hashes[j]) > 12, (i, j)


def test_phash_follows_the_exif_orientation() -> None:
    upright = scene(5, (320, 240))
    # Stored sideways with Orientation=6 ("rotate 90 CW to display") shows the same picture.
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    sideways = encode(stored, "image/jpeg", exif=exif_with(orientation=6), quality=92)
    plain = encode(upright, "image/jpeg", quality=92)
    assert hamming(analyse(sideways, "image/jpeg").phash, analyse(plain, "image/jpeg").phash) <= 6


def test_exif_gps_and_time_are_read_as_signed_degrees() -> None:
    taken = datetime(2025, 3, 14, 9, 26, 53)
    facts = analyse(jpeg(6, latitude=-33.8568, longitude=151.2153, taken_at=taken), "image/jpeg")
    assert facts.latitude == pytest.approx(-33.8568, abs=1e-5)
    assert facts.longitude == pytest.approx(151.2153, abs=1e-5)
    assert facts.taken_at == taken

    west = analyse(jpeg(6, latitude=40.7484, longitude=-73.9857), "image/jpeg")
    assert west.latitude == pytest.approx(40.7484, abs=1e-5)
    assert west.longitude == pytest.approx(-73.9857, abs=1e-5)


def test_no_exif_gives_nones() -> None:
    facts = analyse(encode(scene(7), "image/png"), "image/png")
    assert (facts.latitude, facts.longitude, facts.taken_at) == (None, None, None)


def test_out_of_range_gps_is_ignored() -> None:
    exif = exif_with(latitude=10.0, longitude=10.0)
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] = (95.0, 0.0, 0.0)
    facts = analyse(encode(scene(8), "image/jpeg", exif=exif), "image/jpeg")
    assert (facts.latitude, facts.longitude) == (None, None)


def _exif_of(data: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(data)) as image:
        return image.getexif()


def test_redaction_strips_exif_and_applies_orientation() -> None:
    stored = scene(9, (320, 240)).transpose(Image.Transpose.ROTATE_90)  # 240 x 320 on disk
    exif = exif_with(latitude=31.2304, longitude=121.4737, taken_at=datetime(2025, 1, 2, 3, 4, 5), orientation=6,
                     make="Acme")
    original = encode(stored, "image/jpeg", exif=exif, quality=92)
    with Image.open(io.BytesIO(original)) as before:
        assert before.size == (240, 320)
        assert before.getexif()[ExifTags.Base.Orientation] == 6

    redacted = redact_to_jpeg(original, "image/jpeg")

    assert sniff_content_type(redacted) == "image/jpeg"
    with Image.open(io.BytesIO(redacted)) as after:
        assert after.size == (320, 240)  # rotated upright: width and height swap
        assert "exif" not in after.info
        assert "xmp" not in after.info and "comment" not in after.info
    exif_after = _exif_of(redacted)
    assert len(exif_after) == 0
    assert exif_after.get_ifd(ExifTags.IFD.GPSInfo) == {}
    facts = analyse(redacted, "image/jpeg")
    assert (facts.latitude, facts.longitude, facts.taken_at) == (None, None, None)
    assert hamming(facts.phash, analyse(original, "image/jpeg").phash) <= 6


@pytest.mark.parametrize("content_type", ["image/heic", "image/png", "image/webp"])
def test_redaction_turns_other_formats_into_clean_jpeg(content_type: str) -> None:
    exif = exif_with(latitude=1.5, longitude=2.5, make="Acme")
    original = encode(scene(10, (200, 100)), content_type, exif=exif)
    assert analyse(original, content_type).latitude == pytest.approx(1.5)
    redacted = redact_to_jpeg(original, content_type)
    assert sniff_content_type(redacted) == "image/jpeg"
    assert len(_exif_of(redacted)) == 0
    assert analyse(redacted, "image/jpeg").width == 200


def test_redacting_jpeg_comment_and_xmp_are_dropped() -> None:
    image = scene(11, (100, 80))
    out = io.BytesIO()
    image.save(out, format="JPEG", comment=b"shot at 12 Main St", xmp=b"<x:xmpmeta>GPS</x:xmpmeta>")
    redacted = redact_to_jpeg(out.getvalue(), "image/jpeg")
    assert b"Main St" not in redacted and b"xmpmeta" not in redacted


def test_extensions_cover_every_allowed_type() -> None:
    assert set(images.EXTENSIONS) == set(images.ALLOWED_CONTENT_TYPES)
