"""Pure image functions: format sniffing, perceptual hash, EXIF reading, redaction.

Everything here is synchronous and CPU-bound; async callers run it through `decoding.Decoder` (bounded,
in a decode process by default). Nothing is decoded before the header's size passed the pixel budget.
"""

from __future__ import annotations

import io
import math
import warnings
from datetime import datetime
from typing import Any, Final, Literal

import msgspec
import pillow_heif
from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError

pillow_heif.register_heif_opener()
# Our own budget (checked right after opening) decides; Pillow's warning above 89 MP is only noise.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

ContentType = Literal["image/jpeg", "image/png", "image/heic", "image/webp"]
ALLOWED_CONTENT_TYPES: Final[tuple[str, ...]] = ("image/jpeg", "image/png", "image/heic", "image/webp")
EXTENSIONS: Final[dict[str, str]] = {
    "image/jpeg": "jpg", "image/png": "png", "image/heic": "heic", "image/webp": "webp",
}
# The format name Pillow reports once it has parsed the file, per content type.
PILLOW_FORMATS: Final[dict[str, str]] = {
    "image/jpeg": "JPEG", "image/png": "PNG", "image/heic": "HEIF", "image/webp": "WEBP",
}
HEIC_BRANDS: Final = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})
SNIFF_BYTES: Final = 32  # enough for every signature below
REDACTED_JPEG_QUALITY: Final = 88
# Branch managers look at photos on a screen: 2048 px on the longer side is plenty, keeps each copy a
# few hundred KB and bounds the work of making it.
REDACTED_MAX_SIDE: Final = 2048
# A phone's largest mode (50 MP sensors: 8160 x 6120); PHOTO_MAX_PIXELS overrides it.
DEFAULT_MAX_PIXELS: Final = 50_000_000

_GPS_LAT_REF: Final = 1
_GPS_LAT: Final = 2
_GPS_LON_REF: Final = 3
_GPS_LON: Final = 4
_DATETIME_ORIGINAL: Final = 0x9003
_EXIF_DATETIME_FORMAT: Final = "%Y:%m:%d %H:%M:%S"


class ImageError(ValueError):
    """The bytes are not a decodable image of the expected type."""


class ImageFacts(msgspec.Struct, frozen=True, kw_only=True):
    width: int  # as displayed: stored size with the EXIF orientation applied
    height: int
    phash: str  # 16 lowercase hex chars
    latitude: float | None
    longitude: float | None
    taken_at: datetime | None  # naive: EXIF carries no time zone


def sniff_content_type(data: bytes) -> str | None:
    """The image type the magic numbers say, or None: the file's name and declared type count for nothing."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in HEIC_BRANDS:
        return "image/heic"
    return None


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hex hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def dhash(image: Image.Image) -> str:
    """64-bit difference hash: grey 9x8 thumbnail, one bit per horizontally adjacent pair (left > right).

    Robust to re-encoding, scaling and small colour shifts; a different scene flips about half the bits.
    """
    small = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = small.tobytes()
    value = 0
    for row in range(8):
        for col in range(8):
            left, right = pixels[row * 9 + col], pixels[row * 9 + col + 1]
            value = (value << 1) | (1 if left > right else 0)
    return f"{value:016x}"


def _rational(value: Any) -> float:
    if isinstance(value, tuple) and len(value) == 2:  # (numerator, denominator) from some writers
        numerator, denominator = value
        return float(numerator) / float(denominator)
    return float(value)


def _degrees(dms: Any, ref: Any) -> float | None:
    try:
        parts = [_rational(p) for p in dms]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not parts or len(parts) > 3 or any(math.isnan(p) or p < 0 for p in parts):
        return None
    parts += [0.0] * (3 - len(parts))
    degrees = parts[0] + parts[1] / 60 + parts[2] / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if str(ref).strip("\x00 ").upper() in ("S", "W"):
        degrees = -degrees
    return degrees


def gps_from_exif(exif: Image.Exif) -> tuple[float | None, float | None]:
    """Signed decimal degrees (south and west negative), or (None, None) when absent or out of range."""
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:  # malformed IFD offsets in a phone's file must not fail the upload
        return None, None
    if _GPS_LAT not in gps or _GPS_LON not in gps:
        return None, None
    latitude = _degrees(gps[_GPS_LAT], gps.get(_GPS_LAT_REF, "N"))
    longitude = _degrees(gps[_GPS_LON], gps.get(_GPS_LON_REF, "E"))
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, None
    return latitude, longitude


def taken_at_from_exif(exif: Image.Exif) -> datetime | None:
    try:
        raw = exif.get_ifd(ExifTags.IFD.Exif).get(_DATETIME_ORIGINAL)
    except Exception:
        return None
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    if not isinstance(raw, str):
        return None
    try:
        return datetime.strptime(raw.strip("\x00 ")[:19], _EXIF_DATETIME_FORMAT)
    except ValueError:
        return None


class TooManyPixels(ImageError):
    """The header announces more pixels than the budget: refused before anything is decoded."""

    def __init__(self, size: tuple[int, int] | None, limit: int) -> None:
        self.size = size  # (width, height) as stored; None when Pillow refused the file before reading it
        self.limit = limit
        shown = f"{size[0]}x{size[1]} pixels" if size else "more pixels than Pillow will open"
        super().__init__(f"{shown}; at most {limit} pixels are allowed")

    def __reduce__(self) -> tuple[type[TooManyPixels], tuple[tuple[int, int] | None, int]]:
        return TooManyPixels, (self.size, self.limit)  # raised in a decode process, re-raised here


class CheckedImage(msgspec.Struct, frozen=True, kw_only=True):
    facts: ImageFacts
    redacted_jpeg: bytes | None  # None when not asked for


def _open(data: bytes, content_type: str, max_pixels: int) -> Image.Image:
    """Open lazily (only the header is read) and refuse a wrong type or a size over `max_pixels`."""
    sniffed = sniff_content_type(data[:SNIFF_BYTES])
    if sniffed != content_type:
        raise ImageError(f"not a valid {content_type}")
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:  # over twice Pillow's MAX_IMAGE_PIXELS
        raise TooManyPixels(None, max_pixels) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"not a valid {content_type}") from exc
    if image.format != PILLOW_FORMATS[content_type]:
        image.close()
        raise ImageError(f"not a valid {content_type}")
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise TooManyPixels((width, height), max_pixels)
    return image


def header_size(data: bytes, content_type: str, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[int, int]:
    """Width and height as stored, from the header alone. Raises ImageError (TooManyPixels over budget)."""
    image = _open(data, content_type, max_pixels)
    try:
        return image.size
    finally:
        image.close()


def _plain_mode(image: Image.Image) -> Image.Image:
    """Modes the resampling filters and the colour conversion handle (palette, 16-bit grey... are not)."""
    if image.mode in ("RGB", "RGBA", "L", "CMYK"):
        return image
    if image.mode in ("LA", "PA", "RGBa", "La") or "transparency" in image.info:
        return image.convert("RGBA")
    try:
        return image.convert("RGB")
    except ValueError:
        return image.convert("L").convert("RGB")


# EXIF Orientation -> the transpose that shows the picture upright (as ImageOps.exif_transpose).
_UPRIGHT: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orientation(exif: Image.Exif) -> int:
    value = exif.get(ExifTags.Base.Orientation)
    return value if isinstance(value, int) else 1


def _bounded_upright(image: Image.Image, orientation: int, max_side: int) -> Image.Image:
    """Decode fully (a truncated file fails here) but keep at most `max_side` on the longer side, then
    turn it upright. JPEG decodes at 1/2..1/8 scale straight from the DCT (draft); other formats decode
    whole once (the header check bounds that) and are shrunk before anything else is done."""
    image.draft("RGB", (max_side, max_side))  # JPEG only; a no-op for the others
    image.load()
    small = _plain_mode(image)
    if max(small.size) > max_side:
        small.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)  # in place: no second full copy
    method = _UPRIGHT.get(orientation)
    return small.transpose(method) if method is not None else small


_SRGB: Final = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """RGB pixels in sRGB: converted from the embedded profile when there is a usable one."""
    source = image.convert("RGB") if image.mode == "RGBA" else image
    if icc_profile:
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(source, profile, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None  # a broken or mismatched profile: the pixels as they are
        if converted is not None:
            return converted
    return source.convert("RGB")


def _redacted(upright: Image.Image, icc_profile: bytes | None) -> bytes:
    rgb = to_srgb(upright, icc_profile)
    # A fresh image carries no `info` (exif, xmp, comment, icc) that the JPEG writer might copy over.
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=REDACTED_JPEG_QUALITY, optimize=True)
    return out.getvalue()


def check(data: bytes, content_type: str, *, max_pixels: int = DEFAULT_MAX_PIXELS,
          redact: bool = True) -> CheckedImage:
    """Sniff, check the pixel budget from the header, decode once (bounded, see `_bounded_upright`),
    hash, read EXIF and, with `redact`, make the branch managers' copy: upright, at most
    REDACTED_MAX_SIDE px on the longer side, sRGB, and nothing but pixels (no EXIF, XMP, comments or
    ICC profile). Raises ImageError (TooManyPixels over the budget)."""
    image = _open(data, content_type, max_pixels)
    try:
        exif = image.getexif()
        latitude, longitude = gps_from_exif(exif)
        taken_at = taken_at_from_exif(exif)
        icc_profile = image.info.get("icc_profile")
        orientation = _orientation(exif)
        width, height = image.size  # before draft() shrinks it
        upright = _bounded_upright(image, orientation, REDACTED_MAX_SIDE)
        if orientation in (5, 6, 7, 8):  # stored sideways
            width, height = height, width
        facts = ImageFacts(
            width=width,
            height=height,
            phash=dhash(upright),
            latitude=latitude,
            longitude=longitude,
            taken_at=taken_at,
        )
        return CheckedImage(facts=facts, redacted_jpeg=_redacted(upright, icc_profile) if redact else None)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, MemoryError) as exc:
        if isinstance(exc, ImageError):
            raise
        raise ImageError(f"not a valid {content_type}") from exc
    finally:
        image.close()


def analyse(data: bytes, content_type: str, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageFacts:
    """`check` without the redacted copy."""
    return check(data, content_type, max_pixels=max_pixels, redact=False).facts


def redact_to_jpeg(data: bytes, content_type: str, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> bytes:
    """The branch managers' copy alone (see `check`)."""
    redacted = check(data, content_type, max_pixels=max_pixels).redacted_jpeg
    assert redacted is not None
    return redacted
