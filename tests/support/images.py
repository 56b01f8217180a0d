"""Synthetic photos for tests and benchmarks: made with Pillow, nothing on disk."""

from __future__ import annotations

import random
import struct
import zlib
from io import BytesIO

from PIL import Image, ImageChops, ImageDraw, ImageFilter

EXIF_IFD = 0x8769
GPS_IFD = 0x8825


def photo(
    width: int = 4000, height: int = 3000, *, seed: int = 0, noise: float = 12.0
) -> Image.Image:
    """An RGB image with a photo's statistics: soft shapes on a gradient under sensor noise.

    At 4000x3000 and JPEG quality 92 this encodes to about 5 MB, like a 12 MP phone photo.
    """
    rnd = random.Random(seed)
    small = Image.new("RGB", (max(1, width // 10), max(1, height // 10)))
    draw = ImageDraw.Draw(small)
    for y in range(small.height):
        t = y / small.height
        draw.line(
            [(0, y), (small.width, y)],
            fill=(90 + int(100 * t), 140 + int(60 * t), 200 - int(120 * t)),
        )
    for _ in range(120):
        x, y = rnd.randrange(small.width), rnd.randrange(small.height)
        box = (x, y, x + rnd.randrange(5, 120), y + rnd.randrange(5, 90))
        fill = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
        (draw.ellipse if rnd.random() < 0.5 else draw.rectangle)(box, fill=fill)
    base = small.filter(ImageFilter.GaussianBlur(1.5)).resize(
        (width, height), Image.Resampling.BICUBIC
    )
    grain = Image.merge("RGB", [Image.effect_noise((width, height), noise) for _ in range(3)])
    return ImageChops.add(base, grain, 1.0, -128)


def exif(
    *,
    orientation: int | None = None,
    taken: str | None = None,
    offset: str | None = None,
    modified: str | None = None,
    gps: bool = False,
) -> Image.Exif:
    """An EXIF block as phones write it: Orientation, DateTimeOriginal(+offset), DateTime, GPS."""
    block = Image.Exif()
    block[0x010F] = "FieldCam"
    if orientation is not None:
        block[0x0112] = orientation
    if modified is not None:
        block[306] = modified
    if taken is not None:
        block.get_ifd(EXIF_IFD)[36867] = taken
    if offset is not None:
        block.get_ifd(EXIF_IFD)[36881] = offset
    if gps:
        block.get_ifd(GPS_IFD).update(
            {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0), 6: 35.0}
        )
    return block


def jpeg(image: Image.Image, *, quality: int = 92, exif: Image.Exif | None = None) -> bytes:
    """Encode as a baseline JPEG with 4:2:0 chroma, like a phone camera."""
    out = BytesIO()
    image.save(out, "JPEG", quality=quality, subsampling=2, exif=exif or b"")
    return out.getvalue()


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    """``image`` saved as ``fmt`` with Pillow's ``params``."""
    out = BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def gradient(width: int, height: int) -> Image.Image:
    """A smooth RGB image of any size, made in about 2 s per 100 MP: big photos that encode
    small (100 MP: a 2 MB JPEG, a 0.5 MB WebP)."""
    size = (width, height)
    red = Image.radial_gradient("L").resize(size)
    green = Image.linear_gradient("L").resize(size)
    blue = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize(size)
    return Image.merge("RGB", (red, green, blue))


_PNG_TYPES = {"1": (0, 1), "L": (0, 1), "LA": (4, 2), "RGB": (2, 3), "RGBA": (6, 4), "P": (3, 1)}
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
_BAND = 64


def png(
    width: int, height: int, *, mode: str = "RGB", bits: int = 8, interlace: bool = False
) -> bytes:
    """A PNG of any size, written with zlib directly (about 1 s per 100 MP): bands of repeating
    stripes, so it stays small (100 MP RGB: 2.4 MB, 16-bit RGBA: 7.4 MB).

    ``mode`` names the PNG colour type as Pillow would ("1", "L", "LA", "RGB", "RGBA", "P");
    ``bits`` is 8 or 16 (8 only for "P"); ``interlace`` writes Adam7 passes.
    """
    colour, channels = _PNG_TYPES[mode]
    depth = 1 if mode == "1" else bits
    pixel_bits = channels * depth
    packer = zlib.compressobj(1)
    idat = []
    for left, top, step_x, step_y in _ADAM7 if interlace else ((0, 0, 1, 1),):
        pass_width = (width - left + step_x - 1) // step_x
        pass_height = (height - top + step_y - 1) // step_y
        row_bytes = (pass_width * pixel_bits + 7) // 8
        for band in range(0, pass_height if pass_width else 0, _BAND):
            period = bytes((band * 29 + i * 37) % 256 for i in range(8 * pixel_bits))
            row = b"\0" + (period * (row_bytes // len(period) + 1))[:row_bytes]
            idat.append(packer.compress(row * min(_BAND, pass_height - band)))
    idat.append(packer.flush())
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, int(interlace))
    palette = bytes(i * 7 % 256 for i in range(768)) if mode == "P" else b""
    return _png_file(header, b"".join(idat), palette)


def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of ``width`` x ``height`` black pixels: a few KB that decode to GBs."""
    row = b"\0" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row * 1000) for _ in range(height // 1000))
    idat += packer.compress(row * (height % 1000)) + packer.flush()
    return _png_file(struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0), idat)


def _png_file(header: bytes, idat: bytes, palette: bytes = b"") -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    plte = chunk(b"PLTE", palette) if palette else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + plte
        + chunk(b"IDAT", idat)
        + chunk(b"IEND", b"")
    )
