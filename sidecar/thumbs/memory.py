"""What decoding a photo costs in memory, estimated from its header before any pixel exists.

Each figure is an upper bound of what a worker allocates beyond its idle footprint, per
format (measured with `python -m bench.thumb_memory`, written up in docs/thumbnails.md):

- JPEG: libjpeg decodes at 1/2, 1/4 or 1/8 scale row by row, so a baseline JPEG costs only
  its reduced output. A progressive (or other multi-scan) JPEG keeps the DCT coefficients of
  the whole image until its last scan: 2 bytes per sample, whatever the scale.
- PNG: Pillow inflates the whole image into its own storage (1 byte a pixel for 1-bit, grey
  and palette images, 2 for 16-bit grey, 4 for the rest); the rest happens in strips.
- WebP: libwebp's canvas and its previous-frame copy, the frame handed over as bytes, and
  Pillow's copy of it: 16 bytes a pixel. Pillow allocates the canvas when it opens the file,
  so WebP is judged from its RIFF header first (`webp_size`).
- HEIF: libheif's YCbCr planes and its interleaved RGB(A) output, read from there in strips
  (Pillow's own copy is added when an embedded thumbnail is decoded instead).
- AVIF: libavif's planes, its RGB(A) frame, that frame as bytes and Pillow's copy.

Every format adds the strips' working set, the reduced image, and copies of the file's bytes.
"""

from __future__ import annotations

import math
import struct

from PIL import Image

from sidecar.thumbs.strips import STRIP_PIXELS, reduced_size

_STRIP_BYTES = STRIP_PIXELS * 16  # a cropped strip, its conversion, premultiplied alpha
_THUMBNAIL_PIXEL = 16  # the resized thumbnail and libwebp's buffers while encoding it
# The file's bytes as read from the spool, and the copies a plugin makes: Pillow's WebP and
# AVIF plugins read the file again; a HEIF is parsed twice (metadata, then pixels).
_FILE_COPIES = {"WEBP": 2, "AVIF": 3, "HEIF": 3}
_JPEG_BLOCK = 128  # 64 coefficients of 2 bytes (libjpeg's JBLOCK)
_WEBP_PIXEL = 16
_AVIF_PIXEL = 16  # 8-bit 4:2:0 measured 9; 12-bit 4:4:4 with alpha has 4 more
_SAFETY = 1.1  # measured peaks stay below the formulas; this covers allocator rounding
_STORAGE = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2}
_CHROMA = {420: 0.25, 422: 0.5, 444: 1.0}


def decode_bytes(
    image: Image.Image, data: bytes, full_size: tuple[int, int], target: tuple[int, int]
) -> int:
    """Bytes that turning ``image`` (opened from ``data``) into a ``target`` thumbnail needs.

    ``image`` is as `Image.open` left it, after any `draft()`: ``image.size`` is what the
    decoder will produce (a JPEG's reduced scale, a HEIF's embedded thumbnail), while
    ``full_size`` is the size stored in the file.
    """
    width, height = image.size
    pixels = width * height
    fmt = str(image.format)
    cost: float
    if fmt in ("JPEG", "MPO"):
        cost = pixels * (1 if image.mode == "L" else 4) + jpeg_coefficient_bytes(data)
    elif fmt == "PNG":
        cost = pixels * _STORAGE.get(image.mode, 4)
    elif fmt == "WEBP":
        return webp_bytes(image.size, data, target)
    elif fmt == "HEIF":
        cost = pixels * _heif_pixel(image, thumbnail=image.size != full_size)
    else:  # AVIF
        cost = pixels * _AVIF_PIXEL
    return _with_shrinking(cost, image.size, target) + _FILE_COPIES.get(fmt, 1) * len(data)


def webp_bytes(size: tuple[int, int], data: bytes, target: tuple[int, int]) -> int:
    """`decode_bytes` of a WebP whose canvas is ``size`` (from `webp_size`)."""
    decoder = size[0] * size[1] * _WEBP_PIXEL
    return _with_shrinking(decoder, size, target) + _FILE_COPIES["WEBP"] * len(data)


def _with_shrinking(decoder: float, decoded: tuple[int, int], target: tuple[int, int]) -> int:
    """``decoder``'s bytes for an image of ``decoded`` size, plus what shrinking it to a
    ``target`` thumbnail adds (strips, the reduced image, the thumbnail)."""
    reduced_width, reduced_height = reduced_size(decoded, target)
    cost = decoder + reduced_width * reduced_height * 4
    cost += (
        min(decoded[0] * decoded[1] * 4, _STRIP_BYTES) + target[0] * target[1] * _THUMBNAIL_PIXEL
    )
    return int(cost * _SAFETY)


def webp_size(data: bytes) -> tuple[int, int] | None:
    """The canvas size of a WebP file from its first chunk (VP8X, VP8L or VP8), or None."""
    if len(data) < 30 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8L" and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


def jpeg_coefficient_bytes(data: bytes) -> int:
    """Bytes of the whole-image coefficient buffer libjpeg keeps for a progressive or
    multi-scan JPEG (0 for a single-scan one, decoded row by row)."""
    frame: list[tuple[int, int]] = []
    width = height = 0
    progressive = False
    at = 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        body = data[at + 4 : at + 2 + length]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) and len(body) >= 6:
            progressive = marker in (0xC2, 0xC6, 0xCA, 0xCE)
            height, width = struct.unpack(">HH", body[1:5])
            frame = [(b >> 4, b & 15) for b in body[7 : 6 + 3 * body[5] : 3]]
        elif marker == 0xDA:
            single_scan = bool(body) and body[0] == len(frame)
            if not frame or (single_scan and not progressive):
                return 0
            h_max = max(h for h, _ in frame) or 1
            v_max = max(v for _, v in frame) or 1
            across = math.ceil(width / (8 * h_max))
            down = math.ceil(height / (8 * v_max))
            return sum(across * h * down * v for h, v in frame) * _JPEG_BLOCK
        at += 2 + length
    return 0


def _heif_pixel(image: Image.Image, *, thumbnail: bool) -> float:
    """Bytes a pixel for libheif: YCbCr (and alpha) planes plus its RGB(A) output; Pillow's
    copy too when an embedded thumbnail goes through Pillow's loader."""
    depth = image.info.get("bit_depth", 8)
    sample = 2 if isinstance(depth, int) and depth > 8 else 1
    chroma = _CHROMA.get(image.info.get("chroma", 420), 1.0)
    alpha = image.mode == "RGBA"
    planes = (1 + 2 * chroma + alpha) * sample
    return planes + (4 if alpha else 3) + (4 if thumbnail else 0)
