from __future__ import annotations

import io
import pickle
from collections.abc import Callable
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageCms, ImageFile

from inspect_api.photos import images
from inspect_api.photos.images import (
    REDACTED_MAX_SIDE,
    ImageError,
    TooManyPixels,
    analyse,
    check,
    hamming,
    header_size,
    redact_to_jpeg,
    sniff_content_type,
)
from tests.unit.photos.samples import bomb_png, encode, exif_with, jpeg, linear_rgb_icc, scene

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


# ---- pixel budget: read from the header, refused before any decode --------------------------------


@pytest.fixture
def forbid_decoding(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Call it once the sample is made: from then on any decode of pixel data fails the test (what is
    refused must be refused from the header)."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("pixels were decoded")

    def forbid() -> None:
        monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
        monkeypatch.setattr(Image.Image, "load", refuse)

    return forbid


def test_a_decompression_bomb_png_is_refused_from_its_header(forbid_decoding: Callable[[], None]) -> None:
    data = bomb_png()
    forbid_decoding()
    assert len(data) < 1024 * 1024
    with pytest.raises(TooManyPixels) as refused:
        analyse(data, "image/png")
    assert refused.value.size == (13000, 13000) and refused.value.limit == images.DEFAULT_MAX_PIXELS
    assert str(refused.value) == "13000x13000 pixels; at most 50000000 pixels are allowed"
    with pytest.raises(TooManyPixels):
        redact_to_jpeg(data, "image/png")


@pytest.mark.parametrize("content_type", ALL_TYPES)
def test_every_format_is_sized_from_its_header_and_held_to_the_budget(content_type: str) -> None:
    data = encode(scene(20, (64, 48)), content_type)
    assert header_size(data, content_type) == (64, 48)
    assert check(data, content_type, max_pixels=64 * 48).facts.width == 64  # exactly at the budget passes


@pytest.mark.parametrize("content_type", ALL_TYPES)
def test_one_pixel_over_the_budget_is_refused_without_decoding(
    content_type: str, forbid_decoding: Callable[[], None]
) -> None:
    data = encode(scene(21, (64, 48)), content_type)
    forbid_decoding()
    with pytest.raises(TooManyPixels, match="64x48 pixels; at most 3071 pixels are allowed"):
        check(data, content_type, max_pixels=64 * 48 - 1)


def test_pillow_s_own_bomb_error_is_a_pixel_refusal_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # Over twice Image.MAX_IMAGE_PIXELS Pillow refuses to open the file at all, whatever our budget
    # (lowered here so that a small file is over it).
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(TooManyPixels, match="more pixels than Pillow will open; at most 1000000000"):
        analyse(encode(scene(24, (64, 48)), "image/png"), "image/png", max_pixels=1_000_000_000)


def test_too_many_pixels_survives_the_trip_back_from_a_decode_process() -> None:
    again = pickle.loads(pickle.dumps(TooManyPixels((10, 20), 150)))
    assert isinstance(again, TooManyPixels) and (again.size, again.limit) == ((10, 20), 150)
    assert str(again) == "10x20 pixels; at most 150 pixels are allowed"


# ---- the redacted copy: bounded, sRGB, nothing but pixels --------------------------------------


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png"])
def test_redacted_copy_is_bounded_and_facts_keep_the_full_size(content_type: str) -> None:
    big = scene(22, (300, 100)).resize((3000, 1000))
    data = encode(big, content_type)
    checked = check(data, content_type)
    assert (checked.facts.width, checked.facts.height) == (3000, 1000)
    assert checked.redacted_jpeg is not None
    with Image.open(io.BytesIO(checked.redacted_jpeg)) as redacted:
        assert redacted.size == (REDACTED_MAX_SIDE, 683)
    assert hamming(analyse(checked.redacted_jpeg, "image/jpeg").phash, checked.facts.phash) <= 6


def test_sideways_photo_reports_its_upright_size() -> None:
    stored = scene(23, (320, 240)).transpose(Image.Transpose.ROTATE_90)  # 240 x 320 on disk
    facts = analyse(encode(stored, "image/jpeg", exif=exif_with(orientation=6)), "image/jpeg")
    assert (facts.width, facts.height) == (320, 240)


def test_redacted_copy_converts_an_embedded_profile_to_srgb_and_drops_it() -> None:
    icc = linear_rgb_icc()
    grey = Image.new("RGB", (32, 32), (128, 128, 128))
    out = io.BytesIO()
    grey.save(out, format="JPEG", quality=95, icc_profile=icc)
    original = out.getvalue()
    assert icc in original

    redacted = redact_to_jpeg(original, "image/jpeg")

    assert icc not in redacted
    with Image.open(io.BytesIO(redacted)) as after:
        assert "icc_profile" not in after.info
        assert not {"exif", "xmp", "comment"} & set(after.info)
        red, green, blue = after.getpixel((16, 16))  # linear 128/255 is 188 in sRGB's curve
    assert all(abs(channel - 188) <= 2 for channel in (red, green, blue)), (red, green, blue)


def test_an_srgb_photo_keeps_its_colours_and_loses_its_profile() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 60, 30)).save(out, format="JPEG", quality=95, icc_profile=srgb)
    with Image.open(io.BytesIO(redact_to_jpeg(out.getvalue(), "image/jpeg"))) as after:
        assert "icc_profile" not in after.info
        assert all(abs(a - b) <= 3 for a, b in zip(after.getpixel((16, 16)), (200, 60, 30), strict=True))


def test_a_broken_profile_is_dropped_and_the_pixels_kept() -> None:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 120, 240)).save(out, format="JPEG", quality=95, icc_profile=b"not a profile")
    with Image.open(io.BytesIO(redact_to_jpeg(out.getvalue(), "image/jpeg"))) as after:
        assert "icc_profile" not in after.info
        assert all(abs(a - b) <= 3 for a, b in zip(after.getpixel((8, 8)), (10, 120, 240), strict=True))
