"""Shrink a decoded photo strip by strip, so no conversion or reduction copies it whole.

A strip is converted to a mode Pillow can average (palette, 1-bit and 16-bit images cannot
be) and box-reduced by whole factors (`Image.reduce`, what Pillow's ``reducing_gap`` does
inside `resize`). Strips are a multiple of the vertical factor high, so the result equals
reducing the whole image at once.
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image

STRIP_PIXELS = 1 << 21
"""Pixels converted and reduced at a time: 8 MB in RGBA."""
Rows = Callable[[int, int], Image.Image]
"""Rows ``top`` to ``bottom`` of the source, as an image the width of the source."""
_GAP = 2  # reduce to no less than twice the target, then resample (Pillow's reducing_gap)


def factors(size: tuple[int, int], target: tuple[int, int]) -> tuple[int, int]:
    """Whole factors that reduce ``size`` to no less than twice ``target`` on each axis."""
    return (
        max(1, size[0] // (target[0] * _GAP)),
        max(1, size[1] // (target[1] * _GAP)),
    )


def reduced_size(size: tuple[int, int], target: tuple[int, int]) -> tuple[int, int]:
    """The size `shrink` returns for a source of ``size``."""
    across, down = factors(size, target)
    return -(-size[0] // across), -(-size[1] // down)


def shrink(size: tuple[int, int], rows: Rows, target: tuple[int, int]) -> Image.Image:
    """The source of ``size``, read through ``rows``, in an averageable mode and reduced
    towards ``target`` (see `factors`), a few megapixels at a time."""
    width, height = size
    across, down = factors(size, target)
    step = max(down, STRIP_PIXELS // width // down * down)
    out: Image.Image | None = None
    for top in range(0, height, step):
        strip = _averageable(rows(top, min(height, top + step)))
        if (across, down) != (1, 1):
            strip = strip.reduce((across, down))
        if step >= height:
            return strip
        if out is None:
            out = Image.new(strip.mode, reduced_size(size, target))
        out.paste(strip, (0, top // down))
    assert out is not None, "an image has at least one row"
    return out


def _averageable(image: Image.Image) -> Image.Image:
    """``image`` in a mode whose pixels can be averaged: 8-bit grey, RGB(A) or CMYK."""
    if image.mode.startswith("I"):  # 16-bit grey PNGs open as I;16: scale, do not clip
        return image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode == "1":
        return image.convert("L")
    if image.mode in ("P", "PA"):
        return image.convert("RGBA" if image.has_transparency_data else "RGB")
    return image
