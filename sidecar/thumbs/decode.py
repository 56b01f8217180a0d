"""Open an uploaded photo cheaply: validate, decode at reduced size, orient, read metadata.

Every failure leaves as one `ThumbnailError` whose message a person can read; Pillow's own
exceptions never escape. Truncated files fail (``ImageFile.LOAD_TRUNCATED_IMAGES`` stays off).
What decoding will cost in memory is judged from the header (`sidecar.thumbs.memory`), and a
photo over the budget is refused before its pixels are allocated.
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

from sidecar.thumbs import memory, strips

pillow_heif.register_heif_opener(depth_images=False, aux_images=False)

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


def decode(data: bytes, *, long_edge: int, max_pixels: int, max_memory: int) -> Decoded:
    """Decode ``data`` no larger than a ``long_edge`` thumbnail needs; raise `ThumbnailError`.

    libjpeg decodes JPEGs at 1/2, 1/4 or 1/8 scale (`Image.draft`), as close above the target
    as it can; a HEIC with a large enough embedded thumbnail is decoded from that; other
    images at full size, then converted and reduced in strips. Orientation is applied to the
    reduced image. Photos of more than ``max_pixels`` pixels, or whose decoding would need
    more than ``max_memory`` bytes, are refused before their pixels are decoded.
    """
    if not data:
        raise ThumbnailError("empty file")
    if canvas := memory.webp_size(data):  # Pillow allocates a WebP's canvas when opening it
        _check_pixels(canvas, max_pixels)
        need = memory.webp_bytes(canvas, data, thumbnail_size(canvas, long_edge))
        _check_memory(need, max_memory, canvas, "WEBP")
    image = _open(data, max_pixels, max_memory)
    fmt = "JPEG" if image.format == "MPO" else str(image.format)
    size = image.size
    target = thumbnail_size(size, long_edge)
    try:
        if target != size:  # libjpeg's scale, or a HEIF's embedded thumbnail
            image.draft("RGB", target)
        _check_memory(memory.decode_bytes(image, data, size, target), max_memory, size, fmt)
        reduced = _reduced(image, data, size, target)
        exif = _exif(image)  # a PNG's eXIf chunk may follow its pixels
        icc = image.info.get("icc_profile")
    except MemoryError as exc:
        raise memory_exceeded(max_memory) from exc
    except _CORRUPT as exc:
        raise ThumbnailError("image is truncated or corrupt") from exc
    orientation = exif.get(_ORIENTATION)
    image, icc_profile = _to_rgb(reduced, icc if isinstance(icc, bytes) else b"")
    width, height = size
    if orientation in _TRANSPOSE:
        image = image.transpose(_TRANSPOSE[orientation])
        if orientation >= 5:
            width, height = height, width
    image.info.clear()
    return Decoded(image, (width, height), _taken_at(exif), fmt, icc_profile)


def thumbnail_size(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    """The thumbnail's size for a photo of ``size``: ``long_edge`` at most, never larger."""
    scale = long_edge / max(size)
    if scale >= 1:
        return size
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _reduced(
    image: Image.Image, data: bytes, size: tuple[int, int], target: tuple[int, int]
) -> Image.Image:
    """Decode ``image`` and shrink it in strips to no less than twice ``target``.

    A HEIF without a usable embedded thumbnail is read in strips straight from libheif's
    output, which Pillow's loader would copy whole.
    """
    if image.format == "HEIF" and image.size == size:
        heif = pillow_heif.open_heif(BytesIO(data), convert_hdr_to_8bit=True, remove_stride=False)
        pixels, stride, mode = heif.data, heif.stride, heif.mode
        width, height = heif.size

        def heif_rows(top: int, bottom: int) -> Image.Image:
            rows = pixels[top * stride : bottom * stride]
            return Image.frombuffer(mode, (width, bottom - top), rows, "raw", mode, stride, 1)

        return strips.shrink((width, height), heif_rows, target)
    image.load()

    def rows(top: int, bottom: int) -> Image.Image:
        if bottom - top == image.height:
            return image
        return image.crop((0, top, image.width, bottom))

    return strips.shrink(image.size, rows, target)


def _open(data: bytes, max_pixels: int, max_memory: int) -> Image.Image:
    try:
        image = Image.open(BytesIO(data), formats=_FORMATS)
    except UnidentifiedImageError as exc:
        raise ThumbnailError(_unidentified(data)) from exc
    except _BOMB as exc:
        raise ThumbnailError(_too_large(Image.MAX_IMAGE_PIXELS or 0)) from exc
    except MemoryError as exc:
        raise memory_exceeded(max_memory) from exc
    except _CORRUPT as exc:
        raise ThumbnailError("image is truncated or corrupt") from exc
    _check_pixels(image.size, max_pixels)
    return image


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    if size[0] * size[1] > max_pixels:
        raise ThumbnailError(_too_large(max_pixels))


def _check_memory(need: int, max_memory: int, size: tuple[int, int], fmt: str) -> None:
    if need > max_memory:
        raise ThumbnailError(
            f"image too large: a {size[0]}x{size[1]} {fmt} needs about {_mb(need)} MB of "
            f"memory to decode, more than the {_mb(max_memory)} MB allowed"
        )


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


def memory_exceeded(limit: int) -> ThumbnailError:
    """The error for an allocation refused past the worker's data limit (`MemoryError`)."""
    return ThumbnailError(
        f"image too large: making its thumbnail needs more memory than the {_mb(limit)} MB allowed"
    )


def _mb(count: int) -> str:
    return f"{count / 2**20:,.0f}"


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


def _to_rgb(image: Image.Image, icc: bytes) -> tuple[Image.Image, bytes | None]:
    """Convert to RGB or RGBA (what WebP holds); return the RGB colour profile ``icc`` if it
    is worth keeping."""
    space = icc[16:20]
    if image.mode == "CMYK" and space == b"CMYK":
        try:
            source = ImageCms.ImageCmsProfile(BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, _srgb(), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            converted = None  # a broken profile: Pillow's plain conversion below
        if converted is not None:
            return converted, None
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    return image, icc if space == b"RGB " else None
