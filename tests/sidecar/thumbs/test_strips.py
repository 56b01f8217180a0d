"""shrink: strip by strip gives what converting and reducing the whole image gives."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops

from sidecar.thumbs.strips import STRIP_PIXELS, Rows, factors, reduced_size, shrink
from tests.support.images import gradient


def rows_of(image: Image.Image, calls: list[tuple[int, int]]) -> Rows:
    """Rows of ``image``, noting each request in ``calls``."""

    def rows(top: int, bottom: int) -> Image.Image:
        calls.append((top, bottom))
        return image.crop((0, top, image.width, bottom))

    return rows


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "1", "I;16"])
def test_strips_match_the_whole_image(mode: str) -> None:
    source = gradient(4099, 1703)  # sizes no factor divides
    if mode in ("RGBA", "LA"):
        source.putalpha(source.getchannel("R"))
    image = source.convert(mode) if mode != "I;16" else source.convert("I").convert("I;16")
    target = (480, 199)
    calls: list[tuple[int, int]] = []

    shrunk = shrink(image.size, rows_of(image, calls), target)

    assert len(calls) > 2, "a 7 MP image comes in several strips"
    assert calls[0][0] == 0 and calls[-1][1] == image.height
    assert all(bottom - top <= STRIP_PIXELS // image.width for top, bottom in calls)
    whole = {"P": "RGB", "1": "L", "I;16": "L"}.get(mode, mode)
    if mode == "I;16":
        expected = image.convert("I").point(lambda value: value / 256).convert("L")
    else:
        expected = image.convert(whole)
    expected = expected.reduce(factors(image.size, target))
    assert shrunk.mode == whole
    assert shrunk.size == reduced_size(image.size, target) == expected.size
    assert ImageChops.difference(shrunk.convert("RGBA"), expected.convert("RGBA")).getbbox() is None


def test_factors_keep_twice_the_target() -> None:
    assert factors((10000, 7500), (480, 360)) == (10, 10)
    assert reduced_size((10000, 7500), (480, 360)) == (1000, 750)
    assert factors((500, 375), (480, 360)) == (1, 1), "libjpeg's 1/8 scale is already close"
    assert factors((8000, 100), (480, 6)) == (8, 8)


def test_a_small_image_is_read_in_one_piece() -> None:
    image = gradient(640, 480)
    calls: list[tuple[int, int]] = []

    shrunk = shrink(image.size, rows_of(image, calls), (640, 480))

    assert calls == [(0, 480)]
    assert shrunk.size == (640, 480)
