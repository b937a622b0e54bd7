"""Sample images made with Pillow, shared by the unit and integration photo tests."""

from __future__ import annotations

import functools
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


def huge_png(width: int, height: int, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A single-colour RGB PNG of any size, compressed row by row: a few hundred KB on disk however many
    pixels it announces (a decompression bomb), made without ever holding the pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + bytes(colour) * width  # filter type 0, then the pixels
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@functools.cache
def bomb_png() -> bytes:
    """The issue's decompression bomb: a 13000 x 13000 single-colour PNG, 169 MP (Pillow only warns) in
    ~519 KB. Made once per test process (a few seconds)."""
    return huge_png(13000, 13000)


def linear_rgb_icc() -> bytes:
    """A valid ICC v2 display profile with sRGB's primaries but a linear (gamma 1.0) tone curve: a pixel
    of 128 tagged with it is a mid grey of 188 in sRGB. Built by hand: Pillow only makes sRGB/LAB/XYZ."""
    import struct

    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + bytes(4) + s15(x) + s15(y) + s15(z)

    name = b"Linear RGB (test)\x00"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(name)) + name + bytes(4 + 4 + 2 + 1 + 67)
    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, 0x0100) + bytes(2)  # gamma 1.0 (u8Fixed8)
    tags = [
        (b"desc", desc), (b"cprt", b"text" + bytes(4) + b"none\x00"), (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)), (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)), (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, bodies = b"", b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(bodies), len(body))
        bodies += body
    size = offset + len(bodies)
    header = (struct.pack(">I", size) + bytes(4) + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ " + bytes(12)
              + b"acsp" + bytes(24) + struct.pack(">I", 0) + s15(0.9642) + s15(1.0) + s15(0.8249) + bytes(4))
    header += bytes(128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + bodies
