"""Pure image functions: format sniffing, perceptual hash, EXIF reading, redaction.

Everything here is synchronous and CPU-bound; async callers run it via asyncio.to_thread.
"""

from __future__ import annotations

import io
import math
from datetime import datetime
from typing import Any, Final, Literal

import msgspec
import pillow_heif
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

pillow_heif.register_heif_opener()

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
HASH_BITS: Final = 64
REDACTED_JPEG_QUALITY: Final = 88

_GPS_LAT_REF: Final = 1
_GPS_LAT: Final = 2
_GPS_LON_REF: Final = 3
_GPS_LON: Final = 4
_DATETIME_ORIGINAL: Final = 0x9003
_EXIF_DATETIME_FORMAT: Final = "%Y:%m:%d %H:%M:%S"


class ImageError(ValueError):
    """The bytes are not a decodable image of the expected type."""


class ImageFacts(msgspec.Struct, frozen=True, kw_only=True):
    width: int  # after applying EXIF orientation
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


def _open(data: bytes, content_type: str) -> Image.Image:
    sniffed = sniff_content_type(data[:SNIFF_BYTES])
    if sniffed != content_type:
        raise ImageError(f"not a valid {content_type}")
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageError(f"not a valid {content_type}") from exc
    if image.format != PILLOW_FORMATS[content_type]:
        raise ImageError(f"not a valid {content_type}")
    return image


def analyse(data: bytes, content_type: str) -> ImageFacts:
    """Sniff, fully decode (so a truncated file fails here), hash and read EXIF. Raises ImageError."""
    image = _open(data, content_type)
    try:
        exif = image.getexif()
        latitude, longitude = gps_from_exif(exif)
        taken_at = taken_at_from_exif(exif)
        # JPEG can decode at 1/8 scale straight from the DCT: fast and enough for a 9x8 hash.
        image.draft("RGB", (64, 64))
        image.load()
        upright = ImageOps.exif_transpose(image) or image
        return ImageFacts(
            width=upright.width,
            height=upright.height,
            phash=dhash(upright),
            latitude=latitude,
            longitude=longitude,
            taken_at=taken_at,
        )
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ImageError(f"not a valid {content_type}") from exc
    finally:
        image.close()


def redact_to_jpeg(data: bytes, content_type: str) -> bytes:
    """A JPEG copy without EXIF/XMP/comments (so no GPS, device or timestamps), orientation applied."""
    image = _open(data, content_type)
    try:
        image.load()
        upright = ImageOps.exif_transpose(image) or image
        rgb = upright.convert("RGB")
        # A fresh image carries no `info` (exif, xmp, comment, icc) that the JPEG writer might copy over.
        clean = Image.new("RGB", rgb.size)
        clean.paste(rgb)
        out = io.BytesIO()
        # The colour profile stays (it says nothing about who, where or when; dropping it shifts colours).
        icc = image.info.get("icc_profile")
        clean.save(out, format="JPEG", quality=REDACTED_JPEG_QUALITY, optimize=True, icc_profile=icc or None)
        return out.getvalue()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ImageError(f"not a valid {content_type}") from exc
    finally:
        image.close()
