"""What processes cost over a run: resident memory and open file descriptors, sampled from
/proc in a background thread, and the trend of each (least-squares slope).

    with Sampler(lambda: stack.processes(), every_s=5) as sampler:
        ...                                   # the run
    sampler.series["sidecar"]                 # [(seconds since start, rss KiB, fds), ...]
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self

from tests.support.processes import open_fds, peak_rss_kib, rss_kib

Sample = tuple[float, int, int]
"""(seconds since the sampler started, VmRSS KiB, open fds)."""


class Sampler:
    """Samples every process `targets()` names (name -> pid) every `every_s` seconds; keeps
    each name's peak RSS (VmHWM) as last read, so a process that is killed keeps its figure."""

    def __init__(self, targets: Callable[[], dict[str, int]], every_s: float = 1.0) -> None:
        self._targets = targets
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        self._started = time.monotonic()
        self.series: dict[str, list[Sample]] = {}
        self.peak_kib: dict[str, int] = {}

    def __enter__(self) -> Self:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            self.sample()

    def sample(self) -> None:
        at = time.monotonic() - self._started
        for name, pid in self._targets().items():
            try:
                point = (at, rss_kib(pid), open_fds(pid))
                self.peak_kib[name] = max(self.peak_kib.get(name, 0), peak_rss_kib(pid))
            except (OSError, RuntimeError):  # it exited meanwhile
                continue
            self.series.setdefault(name, []).append(point)

    def after(self, name: str, seconds: float) -> list[Sample]:
        """`name`'s samples taken `seconds` or more after the start (after the warm-up)."""
        return [point for point in self.series.get(name, []) if point[0] >= seconds]


def slope_per_minute(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, in value per minute (0 for < 2 points)."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return 0.0
    return 60 * sum((t - mean_t) * (v - mean_v) for t, v in points) / spread
