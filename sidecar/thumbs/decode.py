"""Open an uploaded photo cheaply: validate, decode at reduced size, orient, read metadata.

Every failure leaves as one `ThumbnailError` whose message a person can read; Pillow's own
exceptions never escape. Truncated files fail (``ImageFile.LOAD_TRUNCATED_IMAGES`` stays off).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from io import BytesIO

import pillow_heif
from PIL import Image, ImageCms, UnidentifiedImageError, features

pillow_heif.register_heif_opener(depth_images=False, aux_images=False)

DEFAULT_MAX_PIXELS = 100_000_000

_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF", *(("AVIF",) if features.check("avif") else ()))
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")
_UNSUPPORTED = {b"GIF8": "GIF", b"BM": "BMP", b"II*\0": "TIFF", b"MM\0*": "TIFF", b"%PDF": "PDF"}
# What Pillow and libheif raise on malformed data once the format is recognised.
_CORRUPT = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, RuntimeError)
_BOMB = (Image.DecompressionBombError, Image.DecompressionBombWarning)

_ORIENTATION = 0x0112
_EXIF_IFD = 0x8769
_DATETIME = 306
_DATETIME_ORIGINAL = 36867
_OFFSET_TIME = 36880
_OFFSET_TIME_ORIGINAL = 36881
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_OFFSET = re.compile(r"([+-])(\d\d):(\d\d)")


class ThumbnailError(Exception):
    """The photo cannot be thumbnailed; the message says why, for people."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """A photo decoded at about thumbnail size: upright, RGB/RGBA, no metadata attached.

    ``size`` is the full displayed size (after orientation). ``icc_profile`` is the source's
    RGB colour profile, worth keeping with the pixels (it holds no location), or None.
    """

    image: Image.Image
    size: tuple[int, int]
    taken_at: datetime | None
    format: str
    icc_profile: bytes | None


def decode(data: bytes, *, long_edge: int, max_pixels: int = DEFAULT_MAX_PIXELS) -> Decoded:
    """Decode ``data`` no larger than a ``long_edge`` thumbnail needs; raise `ThumbnailError`.

    libjpeg decodes JPEGs at 1/2, 1/4 or 1/8 scale (`Image.draft`), as close above the target
    as it can; a HEIC with a large enough embedded thumbnail is decoded from that; other
    images at full size. Orientation is applied afterwards, to the reduced image.
    """
    if not data:
        raise ThumbnailError("empty file")
    image = _open(data, max_pixels)
    fmt = "JPEG" if image.format == "MPO" else str(image.format)
    width, height = image.size
    scale = long_edge / max(width, height)
    try:
        if scale < 1:
            image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
        image.load()
    except _CORRUPT as exc:
        raise ThumbnailError("image is truncated or corrupt") from exc
    exif = _exif(image)
    orientation = exif.get(_ORIENTATION)
    image, icc_profile = _to_rgb(image)
    if orientation in _TRANSPOSE:
        image = image.transpose(_TRANSPOSE[orientation])
        if orientation >= 5:
            width, height = height, width
    image.info.clear()
    return Decoded(image, (width, height), _taken_at(exif), fmt, icc_profile)


def _open(data: bytes, max_pixels: int) -> Image.Image:
    try:
        image = Image.open(BytesIO(data), formats=_FORMATS)
    except UnidentifiedImageError as exc:
        raise ThumbnailError(_unidentified(data)) from exc
    except _BOMB as exc:
        raise ThumbnailError(_too_large(Image.MAX_IMAGE_PIXELS or 0)) from exc
    except _CORRUPT as exc:
        raise ThumbnailError("image is truncated or corrupt") from exc
    if image.width * image.height > max_pixels:
        raise ThumbnailError(_too_large(max_pixels))
    return image


def _unidentified(data: bytes) -> str:
    """Why Pillow could not open ``data``, judged from its first bytes."""
    if (
        data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"))
        or (data.startswith(b"RIFF") and data[8:12] == b"WEBP")
        or (data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS)
    ):
        return "image is truncated or corrupt"
    name = next((name for magic, name in _UNSUPPORTED.items() if data.startswith(magic)), "")
    return f"unsupported format: {name}" if name else "not an image (unrecognised format)"


def _too_large(limit: int) -> str:
    return f"image too large: more than {limit / 1e6:.0f} megapixels"


def _exif(image: Image.Image) -> Image.Exif:
    """The EXIF block, or an empty one when it is malformed (that alone is no reason to fail)."""
    try:
        return image.getexif()
    except _CORRUPT:
        return Image.Exif()


def _taken_at(exif: Image.Exif) -> datetime | None:
    """DateTimeOriginal, else DateTime, with its OffsetTime* (naive: UTC); None if unusable."""
    try:
        ifd = exif.get_ifd(_EXIF_IFD)
    except _CORRUPT:
        ifd = {}
    for stamp, offset in (
        (ifd.get(_DATETIME_ORIGINAL), ifd.get(_OFFSET_TIME_ORIGINAL)),
        (exif.get(_DATETIME), ifd.get(_OFFSET_TIME)),
    ):
        if isinstance(stamp, str):
            try:
                naive = datetime.strptime(stamp.strip("\0 ")[:19], "%Y:%m:%d %H:%M:%S")
            except ValueError:
                continue
            return naive.replace(tzinfo=_timezone(offset))
    return None


def _timezone(offset: object) -> timezone:
    match = _OFFSET.fullmatch(offset.strip("\0 ")) if isinstance(offset, str) else None
    if match is None or int(match[2]) > 14 or int(match[3]) > 59:
        return UTC
    delta = timedelta(hours=int(match[2]), minutes=int(match[3]))
    return timezone(-delta if match[1] == "-" else delta)


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_rgb(image: Image.Image) -> tuple[Image.Image, bytes | None]:
    """Convert to RGB or RGBA (what WebP holds); return the RGB colour profile to keep, if any."""
    icc = image.info.get("icc_profile")
    icc = icc if isinstance(icc, bytes) else b""
    space = icc[16:20]
    if image.mode == "CMYK" and space == b"CMYK":
        try:
            source = ImageCms.ImageCmsProfile(BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, _srgb(), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            converted = None  # a broken profile: Pillow's plain conversion below
        if converted is not None:
            return converted, None
    if image.mode.startswith("I"):  # 16-bit greyscale PNGs open as I;16 or I: scale, not clip
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    return image, icc if space == b"RGB " else None
