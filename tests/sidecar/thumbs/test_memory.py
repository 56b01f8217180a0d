"""Memory estimates from headers, and photos refused by them before any pixel is decoded."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from PIL import Image

from sidecar.thumbs import ThumbnailError, make_thumbnail
from sidecar.thumbs.memory import jpeg_coefficient_bytes, webp_size
from tests.support.images import encode, gradient, jpeg, png

LIMITS = {"long_edge": 480, "max_pixels": 100_000_000}


@pytest.mark.parametrize(
    "params",
    [{"quality": 80}, {"lossless": True}, {"quality": 80, "exif": b"Exif\0\0MM\0*"}],
    ids=["lossy-VP8", "lossless-VP8L", "extended-VP8X"],
)
def test_webp_size_is_read_from_the_first_chunk(params: dict[str, object]) -> None:
    image = gradient(1001, 333)
    if params.get("lossless"):
        image.putalpha(128)

    data = encode(image, "WEBP", **params)

    assert webp_size(data) == Image.open(BytesIO(data)).size == (1001, 333)
    assert webp_size(b"RIFF\0\0\0\0WEBPVP8 " + bytes(20)) is None
    assert webp_size(jpeg(image.convert("RGB"))) is None


def test_a_baseline_jpeg_needs_no_coefficient_buffer() -> None:
    assert jpeg_coefficient_bytes(jpeg(gradient(1600, 1200))) == 0


@pytest.mark.parametrize(
    ("mode", "subsampling", "blocks"),
    [
        # 1600x1200 is 200x150 blocks of 8x8; 4:2:0 chroma has a quarter of them each.
        ("RGB", 2, 200 * 150 + 2 * 100 * 75),
        ("RGB", 0, 3 * 200 * 150),
        ("L", 0, 200 * 150),
        ("CMYK", 0, 4 * 200 * 150),
    ],
    ids=["4:2:0", "4:4:4", "grey", "CMYK"],
)
def test_a_progressive_jpeg_keeps_every_coefficient(
    mode: str, subsampling: int, blocks: int
) -> None:
    data = encode(
        gradient(1600, 1200).convert(mode), "JPEG", progressive=True, subsampling=subsampling
    )

    assert jpeg_coefficient_bytes(data) == blocks * 128


@pytest.mark.parametrize(
    ("data", "described", "storage"),
    [
        (png(4000, 3000, mode="RGBA", bits=16), "a 4000x3000 PNG", 4000 * 3000 * 4),
        (
            encode(gradient(4000, 3000), "JPEG", progressive=True),
            "a 4000x3000 JPEG",
            4000 * 3000 * 3,  # coefficients of 1.5 samples a pixel, 2 bytes each
        ),
        (encode(gradient(2000, 1500), "WEBP", quality=50), "a 2000x1500 WEBP", 2000 * 1500 * 16),
    ],
    ids=["png", "progressive-jpeg", "webp"],
)
def test_photos_over_the_memory_budget_are_refused_with_their_need(
    data: bytes, described: str, storage: int
) -> None:
    with pytest.raises(ThumbnailError) as caught:
        make_thumbnail(data, **LIMITS, max_memory=40 << 20)

    match = re.fullmatch(
        rf"image too large: {described} needs about (\d+) MB of memory to decode, "
        r"more than the 40 MB allowed",
        str(caught.value),
    )
    assert match, str(caught.value)
    assert int(match[1]) >= storage / 2**20, "at least what the decoder itself holds"


def test_a_baseline_jpeg_of_the_same_size_fits() -> None:
    thumb = make_thumbnail(jpeg(gradient(4000, 3000)), **LIMITS, max_memory=40 << 20)

    assert (thumb.width, thumb.height) == (4000, 3000)
