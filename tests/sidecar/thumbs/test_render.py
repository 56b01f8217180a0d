"""make_thumbnail on real images made here with Pillow: size, orientation, metadata, errors."""

from __future__ import annotations

import random
import struct
from datetime import UTC, datetime, timedelta, timezone
from io import BytesIO

import pytest
from PIL import Image, ImageCms, ImageOps, features

from sidecar.thumbs import Thumbnail, ThumbnailError, make_thumbnail
from tests.support.images import encode, exif, jpeg, photo, png_bomb

RED, GREEN, BLUE, YELLOW = (230, 20, 20), (20, 200, 40), (30, 40, 220), (240, 220, 30)
LIMITS = {"long_edge": 480, "max_pixels": 100_000_000, "max_memory": 320 << 20}


def thumbnail(data: bytes, **params: int) -> Thumbnail:
    """`make_thumbnail` with the sidecar's default limits, or ``params`` instead."""
    return make_thumbnail(data, **{**LIMITS, **params})


def quadrants(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Four flat colours, one per quadrant, so every flip and turn looks different."""
    image = Image.new("RGB", (width, height))
    half_w, half_h = width // 2, height // 2
    image.paste(RED, (0, 0, half_w, half_h))
    image.paste(GREEN, (half_w, 0, width, half_h))
    image.paste(BLUE, (0, half_h, half_w, height))
    image.paste(YELLOW, (half_w, half_h, width, height))
    if mode == "P":
        return image.convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    return image.convert(mode)


def with_hole(image: Image.Image) -> Image.Image:
    """``image`` with a fully transparent top-left quadrant (fully opaque alpha is dropped)."""
    alpha = Image.new("L", image.size, 255)
    alpha.paste(0, (0, 0, image.width // 2, image.height // 2))
    image.putalpha(alpha)
    return image


def half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def opened(thumb: Thumbnail) -> Image.Image:
    image = Image.open(BytesIO(thumb.webp))
    assert image.format == "WEBP"
    return image


def corners(image: Image.Image) -> list[tuple[int, ...]]:
    rgb = image.convert("RGB")
    w, h = rgb.size
    inset_x, inset_y = w // 8, h // 8
    points = [
        (inset_x, inset_y),
        (w - inset_x, inset_y),
        (inset_x, h - inset_y),
        (w - inset_x, h - inset_y),
    ]
    return [tuple(rgb.getpixel(point)) for point in points]  # type: ignore[arg-type]


def close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 40) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def riff_chunks(webp: bytes) -> set[bytes]:
    """Chunk ids of a WebP file (RIFF): VP8/VP8L/VP8X/ALPH/ICCP, or EXIF and XMP if leaked."""
    assert webp[:4] == b"RIFF" and webp[8:12] == b"WEBP"
    ids, at = set(), 12
    while at + 8 <= len(webp):
        chunk, size = webp[at : at + 4], struct.unpack("<I", webp[at + 4 : at + 8])[0]
        ids.add(chunk)
        at += 8 + size + (size & 1)
    return ids


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_applied(orientation: int) -> None:
    source = quadrants(800, 600)
    block = exif(orientation=orientation)
    data = jpeg(source, exif=block)

    thumb = thumbnail(data)

    upright = ImageOps.exif_transpose(Image.open(BytesIO(data)))
    assert (
        (thumb.width, thumb.height)
        == upright.size
        == ((600, 800) if orientation >= 5 else (800, 600))
    )
    image = opened(thumb)
    assert image.size == ((360, 480) if orientation >= 5 else (480, 360))
    for got, want in zip(corners(image), corners(upright), strict=True):
        assert close(got, want), (orientation, got, want)


@pytest.mark.parametrize(
    ("size", "thumb_size"),
    [
        ((4000, 3000), (480, 360)),
        ((3024, 4032), (360, 480)),
        ((1920, 1080), (480, 270)),
        ((2000, 333), (480, 80)),
        ((481, 481), (480, 480)),
        ((300, 200), (300, 200)),
    ],
)
def test_long_edge_is_480_and_small_photos_keep_their_size(
    size: tuple[int, int], thumb_size: tuple[int, int]
) -> None:
    thumb = thumbnail(jpeg(photo(*size, noise=4)))

    assert opened(thumb).size == thumb_size
    assert (thumb.width, thumb.height) == size
    assert thumb.format == "JPEG"


def test_long_edge_is_configurable() -> None:
    thumb = thumbnail(jpeg(photo(1600, 1200, noise=4)), long_edge=200, quality=60)

    assert opened(thumb).size == (200, 150)


def test_thumbnail_carries_no_exif_gps_or_xmp() -> None:
    source = photo(1200, 900, noise=4)
    block = exif(orientation=6, taken="2024:05:06 07:08:09", offset="+02:00", gps=True)
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><GPSLatitude>48,51.5N</GPSLatitude></x:xmpmeta>'
    for data in (jpeg(source, exif=block), encode(source, "WEBP", exif=block, xmp=xmp)):
        assert Image.open(BytesIO(data)).getexif().get_ifd(0x8825), "the source has GPS"

        thumb = thumbnail(data)

        image = opened(thumb)
        assert not image.getexif()
        assert "exif" not in image.info and "xmp" not in image.info
        assert riff_chunks(thumb.webp) <= {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ICCP"}
        assert b"Exif" not in thumb.webp and b"xmpmeta" not in thumb.webp


def test_rgb_colour_profile_is_kept() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    thumb = thumbnail(encode(photo(800, 600, noise=4), "JPEG", icc_profile=srgb))

    assert opened(thumb).info.get("icc_profile") == srgb


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            exif(taken="2024:05:06 07:08:09", offset="+09:00"),
            datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=9))),
        ),
        (
            exif(taken="2024:05:06 07:08:09", offset="-05:30"),
            datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
        ),
        (exif(taken="2024:05:06 07:08:09"), datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)),
        (
            exif(taken="2024:05:06 07:08:09", offset="+99:00"),
            datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
        ),
        (exif(modified="2023:01:02 03:04:05"), datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)),
        (
            exif(taken="0000:00:00 00:00:00", modified="2023:01:02 03:04:05"),
            datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC),
        ),
        (exif(taken="    :  :     :  :  "), None),
        (exif(taken="yesterday"), None),
        (exif(), None),
    ],
    ids=[
        "offset",
        "negative-offset",
        "naive",
        "bad-offset",
        "fallback",
        "garbage-then-fallback",
        "blank",
        "words",
        "none",
    ],
)
def test_taken_at_from_exif(block: Image.Exif, expected: datetime | None) -> None:
    thumb = thumbnail(jpeg(photo(640, 480, noise=4), exif=block))

    assert thumb.taken_at == expected


def test_png_alpha_is_kept() -> None:
    source = quadrants(600, 400, "RGBA")
    source.paste((0, 0, 0, 0), (0, 0, 300, 400))

    thumb = thumbnail(encode(source, "PNG"))

    image = opened(thumb)
    assert image.mode == "RGBA"
    assert image.getpixel((20, 20))[3] == 0  # type: ignore[index]
    assert image.getpixel((460, 300))[3] == 255  # type: ignore[index]
    assert thumb.format == "PNG"


@pytest.mark.parametrize(
    ("source", "fmt", "mode", "pixel"),
    [
        (quadrants(640, 480, "P"), "PNG", "RGB", RED),
        (quadrants(640, 480, "L"), "PNG", "RGB", None),
        (with_hole(quadrants(640, 480, "LA")), "PNG", "RGBA", None),
        (quadrants(640, 480, "1"), "PNG", "RGB", None),
        (Image.new("I;16", (640, 480), 40000), "PNG", "RGB", (156, 156, 156)),
        (quadrants(640, 480, "CMYK"), "JPEG", "RGB", RED),
        (quadrants(640, 480, "L"), "JPEG", "RGB", None),
    ],
    ids=["P", "L", "LA", "1", "I;16", "CMYK-jpeg", "grey-jpeg"],
)
def test_modes_convert_sensibly(
    source: Image.Image, fmt: str, mode: str, pixel: tuple[int, int, int] | None
) -> None:
    thumb = thumbnail(encode(source, fmt))

    image = opened(thumb)
    assert image.mode == mode
    assert image.size == (480, 360)
    if pixel is not None:
        assert close(corners(image)[0][:3], pixel), corners(image)[0]


def test_palette_png_with_transparency_keeps_it() -> None:
    source = quadrants(640, 480, "P")
    data = encode(source, "PNG", transparency=source.getpixel((0, 0)))

    image = opened(thumbnail(data))

    assert image.mode == "RGBA"
    assert image.getpixel((10, 10))[3] == 0  # type: ignore[index]


@pytest.mark.parametrize("embedded", [[], [512]], ids=["decoded", "embedded-thumbnail"])
def test_heic_from_an_iphone_is_oriented_and_dated(embedded: list[int]) -> None:
    """A HEIC with an embedded thumbnail at least as large as needed is decoded from that."""
    block = exif(orientation=6, taken="2025:07:08 10:11:12", offset="-04:00", gps=True)
    data = encode(
        quadrants(1600, 1200), "HEIF", quality=80, exif=block.tobytes(), thumbnails=embedded
    )

    thumb = thumbnail(data)

    assert thumb.format == "HEIF"
    assert (thumb.width, thumb.height) == (1200, 1600)
    assert thumb.taken_at == datetime(2025, 7, 8, 10, 11, 12, tzinfo=timezone(-timedelta(hours=4)))
    image = opened(thumb)
    assert image.size == (360, 480)
    assert [
        close(got, want)
        for got, want in zip(corners(image), [BLUE, RED, YELLOW, GREEN], strict=True)
    ] == [True] * 4
    assert not image.getexif()


def test_webp_avif_and_mpo_inputs() -> None:
    """MPO is what phones write for JPEGs carrying a second picture; it is reported as JPEG."""
    frames = [quadrants(1000, 500), photo(1000, 500, noise=4)]
    inputs = [
        (encode(frames[0], "WEBP", quality=90), "WEBP"),
        (encode(frames[0], "MPO", save_all=True, append_images=frames[1:]), "JPEG"),
    ]
    if features.check("avif"):
        inputs.append((encode(frames[0], "AVIF", quality=90), "AVIF"))
    assert Image.open(BytesIO(inputs[1][0])).format == "MPO"

    for data, fmt in inputs:
        thumb = thumbnail(data)

        assert thumb.format == fmt
        image = opened(thumb)
        assert image.size == (480, 240)
        assert close(corners(image)[0], RED)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (random.Random(1).randbytes(5000), "not an image (unrecognised format)"),
        (b"hello, this is a text file\n" * 20, "not an image (unrecognised format)"),
        (half(jpeg(photo(800, 600, seed=3))), "image is truncated or corrupt"),
        (b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 40, "image is truncated or corrupt"),
        (encode(quadrants(400, 300), "PNG")[:-200], "image is truncated or corrupt"),
        (encode(quadrants(400, 300), "GIF"), "unsupported format: GIF"),
        (encode(quadrants(400, 300), "TIFF"), "unsupported format: TIFF"),
        (encode(quadrants(400, 300), "BMP"), "unsupported format: BMP"),
    ],
    ids=[
        "empty",
        "random",
        "text",
        "truncated-jpeg",
        "garbage-jpeg",
        "truncated-png",
        "gif",
        "tiff",
        "bmp",
    ],
)
def test_bad_input_raises_one_readable_error(data: bytes, message: str) -> None:
    with pytest.raises(ThumbnailError) as caught:
        thumbnail(data)

    assert str(caught.value) == message


def test_decompression_bomb_is_refused() -> None:
    bomb = png_bomb(30000, 30000)  # 900 megapixels
    assert len(bomb) < 200_000

    with pytest.raises(ThumbnailError, match=r"^image too large: more than \d+ megapixels$"):
        thumbnail(bomb)


def test_pixel_limit_is_configurable() -> None:
    data = jpeg(photo(1600, 1200, noise=4))  # 1.92 megapixels

    with pytest.raises(ThumbnailError) as caught:
        thumbnail(data, max_pixels=1_000_000)

    assert str(caught.value) == "image too large: more than 1 megapixels"
    assert thumbnail(data, max_pixels=1_920_000).width == 1600


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow on corrupt EXIF
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_damaged_files_never_leak_pillow_errors(fmt: str) -> None:
    """Cut and flip bytes all over valid files: each either renders or raises ThumbnailError."""
    good = encode(
        photo(160, 120, seed=5, noise=8), fmt, exif=exif(orientation=6, gps=True).tobytes()
    )
    rnd = random.Random(fmt)
    damaged = [good[: rnd.randrange(len(good))] for _ in range(15)]
    for _ in range(30):
        flipped = bytearray(good)
        for _ in range(rnd.randrange(1, 8)):
            flipped[rnd.randrange(len(flipped))] = rnd.randrange(256)
        damaged.append(bytes(flipped))

    outcomes = set()
    for data in damaged:
        try:
            thumbnail(data)
            outcomes.add("ok")
        except ThumbnailError as exc:
            outcomes.add(str(exc))
    allowed = {"ok", "image is truncated or corrupt", "not an image (unrecognised format)"}
    assert {o for o in outcomes if not o.startswith("image too large: ")} <= allowed, outcomes


def test_public_names_are_pinned() -> None:
    import sidecar.thumbs

    assert sidecar.thumbs.__all__ == [
        "DEFAULT_QUALITY",
        "Thumbnail",
        "ThumbnailError",
        "ThumbnailWorker",
        "WorkerDied",
        "make_thumbnail",
    ]
