"""A long run at a steady mixed load (the soak): phones upload a photo every few seconds, the
office edits, dashboards listen on the hub and on PocketBase realtime, for a set time. What it
is for: every process's resident memory and open file descriptors stay flat after the warm-up,
and no error line is logged.

    morning, run = await soak(stack, seconds=600)
    run.trends["sidecar"].rss_slope_mib_per_min
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from tests.support.morning import Morning, Outcome, Size
from tests.support.phones import Album
from tests.support.sampling import Sample, slope_per_minute
from tests.support.stack import Stack

STEADY = Size(
    teams=3,
    phones=6,
    photos=10_000,  # a bound: the phones stop taking photos when the time is up
    hub_streams=60,
    realtime=3,
    edit_every_s=1.0,
    think_s=3.0,
    album=Album(sizes=((2000, 1500), (2600, 1950), (3200, 2400)), heic_every=10),
)
"""About two photos a second, a job edit a second per team, 60 hub and 3 realtime dashboards."""
WARM_UP = 0.25
"""Of the run: memory and descriptors are judged after this."""
SAMPLE_EVERY_S = 5.0
STACK = ("pocketbase", "sidecar")
"""The processes that must stay flat (the sidecar's children too): the system, not the load."""
_ERROR = re.compile(r'"level": "(error|critical)"|\bpanic\b', re.IGNORECASE)


@dataclass(frozen=True)
class Trend:
    """One process over the run after the warm-up."""

    rss_start_mib: float
    rss_end_mib: float
    rss_slope_mib_per_min: float
    fds_start: int
    fds_end: int

    @classmethod
    def of(cls, samples: list[Sample]) -> Trend:
        """Start and end are medians of the first and last thirds (in-flight requests make
        single samples jump)."""
        third = max(1, len(samples) // 3)
        head, tail = samples[:third], samples[-third:]
        return cls(
            rss_start_mib=statistics.median(kib for _, kib, _ in head) / 1024,
            rss_end_mib=statistics.median(kib for _, kib, _ in tail) / 1024,
            rss_slope_mib_per_min=slope_per_minute([(t, kib / 1024) for t, kib, _ in samples]),
            fds_start=round(statistics.median(fds for _, _, fds in head)),
            fds_end=round(statistics.median(fds for _, _, fds in tail)),
        )


@dataclass
class SoakRun:
    outcome: Outcome
    seconds: float
    """The length of the steady load (settling afterwards not included)."""
    trends: dict[str, Trend]
    """Process name (as `Morning.processes()` names them) -> its trend."""
    errors: list[str]
    """Error lines of the sidecar's and PocketBase's logs."""


def part_of_the_stack(name: str) -> bool:
    """Whether the process `name` is PocketBase, the sidecar or one of its children."""
    return name.startswith(STACK)


async def soak(stack: Stack, seconds: float, size: Size = STEADY) -> tuple[Morning, SoakRun]:
    """`seconds` of steady load on `stack`, then settled and read back."""
    morning = await Morning.open(stack, size)
    await morning.run(sample_every_s=SAMPLE_EVERY_S, for_s=seconds)
    outcome = await morning.finish()
    assert morning.sampler is not None
    warm = seconds * WARM_UP
    trends = {
        name: Trend.of(samples)
        for name, series in morning.sampler.series.items()
        if len(samples := [s for s in series if warm <= s[0] <= seconds]) >= 2
    }
    logs = stack.sidecar.log() + stack.pb.log_path.read_text(errors="replace")
    errors = [line for line in logs.splitlines() if _ERROR.search(line)]
    return morning, SoakRun(outcome, seconds, trends, errors)
