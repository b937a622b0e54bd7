"""Sample images made with Pillow, shared by the unit and integration photo tests."""

from __future__ import annotations

import io
import math
from datetime import datetime
from fractions import Fraction

import pillow_heif
from PIL import ExifTags, Image, ImageDraw

pillow_heif.register_heif_opener()

FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/heic": "HEIF"}


def scene(seed: int = 0, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A deterministic picture with structure: a gradient plus shapes placed by `seed`."""
    width, height = size
    image = Image.new("RGB", size)
    pixels = image.load()
    phase = seed * 1.7
    for y in range(height):
        for x in range(width):
            v = 0.5 + 0.5 * math.sin(x / width * (3 + seed) + phase) * math.cos(y / height * (2 + seed % 3))
            pixels[x, y] = (int(255 * v), int(200 * (1 - v)), int(120 + 100 * math.sin(phase + y / 40)))
    draw = ImageDraw.Draw(image)
    for i in range(4):
        x0 = (seed * 53 + i * 71) % (width - 60)
        y0 = (seed * 37 + i * 47) % (height - 60)
        draw.rectangle((x0, y0, x0 + 50, y0 + 40), fill=((seed * 90 + i * 60) % 256, 30 * i, 255 - 50 * i))
    return image


def _dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    value = abs(value)
    degrees = int(value)
    minutes_full = (value - degrees) * 60
    minutes = int(minutes_full)
    seconds = Fraction(round((minutes_full - minutes) * 60 * 10000), 10000)
    return Fraction(degrees), Fraction(minutes), seconds


def exif_with(
    *,
    latitude: float | None = None,
    longitude: float | None = None,
    taken_at: datetime | None = None,
    orientation: int | None = None,
    make: str | None = None,
) -> Image.Exif:
    exif = Image.Exif()
    if make:
        exif[ExifTags.Base.Make] = make
        exif[ExifTags.Base.Model] = make + " Phone 15"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if taken_at:
        exif[ExifTags.Base.DateTime] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
    if latitude is not None and longitude is not None:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N" if latitude >= 0 else "S"
        gps[ExifTags.GPS.GPSLatitude] = _dms(latitude)
        gps[ExifTags.GPS.GPSLongitudeRef] = "E" if longitude >= 0 else "W"
        gps[ExifTags.GPS.GPSLongitude] = _dms(longitude)
    return exif


def encode(image: Image.Image, content_type: str = "image/jpeg", *, exif: Image.Exif | None = None, **kw) -> bytes:
    out = io.BytesIO()
    options = dict(kw)
    if exif is not None:
        options["exif"] = exif.tobytes()
    image.save(out, format=FORMATS[content_type], **options)
    return out.getvalue()


def jpeg(seed: int = 0, **exif_kw) -> bytes:
    return encode(scene(seed), "image/jpeg", exif=exif_with(**exif_kw) if exif_kw else None, quality=90)
