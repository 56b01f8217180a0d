"""The reliability campaign's long variants: the issue's busy morning at full size, and the soak.

    python -m bench.reliability [--quick] [--soak-s 600]

Everything real (`tests/support/stack.py`): PocketBase, the sidecar with Web Push on, a loopback
push service. The morning: 50 phones, each its own user, upload 20 photos each (JPEGs of 1-5 MB,
every tenth a HEIC) while 5 teams' offices edit jobs, 500 hub dashboards (2 load processes) and
20 PocketBase realtime dashboards listen. Side by side, the same photos from one phone with
nothing else going on (the baseline). Both are checked as the tests check them (nothing lost
or duplicated, every photo one thumbnail, every push once). The soak: `--soak-s` seconds of a
steady mixed load (`tests/support/soak.py`), with each process's memory and descriptors
after the warm-up. `--quick` runs the tests' reduced morning and a 60 s soak.

Figures: upload (first try to success), `photo.created` commit to `photo.ready` commit, outbox
commit to arrival on a hub stream, peak RSS (VmHWM) of every process.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.report import Section, Table, check, num, text
from tests.support.morning import FULL, MORNING, Size, play
from tests.support.soak import WARM_UP, part_of_the_stack, soak
from tests.support.sse_load import raise_fd_limit
from tests.support.stack import Stack

SHIPPED = {"FIELDSYNC_LEASE_TTL_S": "10", "FIELDSYNC_PUSH_CLAIM_TTL_S": "30"}
"""The sidecar as shipped: the tests shorten its lease and push claims (3 s) so that a killed
sidecar is taken over quickly; measured here is the default."""
SOAK_S = 600.0
QUICK_SOAK_S = 60.0
ALONE_PHOTOS = 10
LATENCIES = (
    "upload p50 ms",
    "upload p99 ms",
    "to photo.ready p50 ms",
    "to photo.ready p99 ms",
    "hub delivery p50 ms",
    "hub delivery p99 ms",
)


def _alone(size: Size) -> Size:
    """The baseline: one phone with the same camera roll, one dashboard of each kind."""
    return replace(
        size,
        teams=1,
        phones=1,
        photos=ALONE_PHOTOS,
        hub_streams=1,
        realtime=1,
        listener_processes=1,
    )


def _morning(root: Path, size: Size) -> dict[str, Any]:
    stack = Stack.start(root, sidecar_env=SHIPPED)
    try:
        morning, outcome = play(stack, size)
        return {"figures": outcome.figures(), "checks": outcome.audit(morning.shop)}
    finally:
        stack.stop()


def _soak(root: Path, seconds: float) -> dict[str, Any]:
    stack = Stack.start(root, sidecar_env=SHIPPED)
    try:
        morning, run = asyncio.run(soak(stack, seconds))
        return {
            "seconds": seconds,
            "figures": run.outcome.figures(),
            "checks": run.outcome.audit(morning.shop),
            "errors": run.errors[:20],
            "trends": {name: vars(trend) for name, trend in run.trends.items()},
        }
    finally:
        stack.stop()


def measure(size: Size, soak_s: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="fieldsync-reliability-") as tmp:
        root = Path(tmp)
        result: dict[str, Any] = {
            "size": {k: v for k, v in vars(size).items() if k != "album"},
            "alone": _morning(root / "alone", _alone(size)),
            "morning": _morning(root / "morning", size),
        }
        if soak_s > 0:
            result["soak"] = _soak(root / "soak", soak_s)
        return result


def _problems(checks: dict[str, list[str]]) -> str:
    bad = [f"{name}: {problems[0]}" for name, problems in checks.items() if problems]
    return "; ".join(bad) if bad else "none"


def section(result: dict[str, Any]) -> Section:
    size, alone, busy = result["size"], result["alone"], result["morning"]
    label = (
        f"{size['phones']} phones x {size['photos']} photos, {size['hub_streams']} hub + "
        f"{size['realtime']} realtime dashboards"
    )
    rows = [[name, num(alone["figures"][name]), num(busy["figures"][name])] for name in LATENCIES]
    processes = sorted(
        {n for n in busy["figures"] if n.startswith("peak RSS")}
        | {n for n in alone["figures"] if n.startswith("peak RSS")}
    )
    rows += [
        [name, num(alone["figures"].get(name, float("nan"))), num(busy["figures"][name])]
        for name in processes
        if name in busy["figures"]
    ]
    counts = ("photos", "events", "hub deliveries", "realtime messages", "pushes", "seconds")
    rows += [
        [name, num(alone["figures"][name], 0), num(busy["figures"][name], 0)] for name in counts
    ]
    ok = not any(busy["checks"].values()) and not any(alone["checks"].values())
    morning = Table(
        f"A busy morning ({label}) vs one phone alone",
        ["figure", f"alone ({ALONE_PHOTOS} photos)", "busy morning"],
        rows,
        [
            f"Nothing lost, duplicated or out of order, one thumbnail per photo, each push once "
            f"{check(ok)} (problems: {_problems(busy['checks'])}).",
            "upload: first try to success, per photo. to photo.ready: the two outbox commits. "
            "hub delivery: outbox commit to arrival on a stream, every delivery. Peak RSS: "
            "VmHWM; 'sidecar child' are its forkserver and thumbnail workers; 'load' is the "
            "process running phones, office and realtime dashboards.",
        ],
    )
    tables = [morning]
    if "soak" in result:
        soaked = result["soak"]
        trends = soaked["trends"]
        soak_rows = [
            [
                name,
                num(t["rss_start_mib"]),
                num(t["rss_end_mib"]),
                num(t["rss_slope_mib_per_min"], 2),
                f"{t['fds_start']} -> {t['fds_end']}",
            ]
            for name, t in sorted(trends.items(), key=lambda item: not part_of_the_stack(item[0]))
        ]
        figures = soaked["figures"]
        tables.append(
            Table(
                f"Soak: {soaked['seconds']:.0f} s of steady load, after a "
                f"{WARM_UP * soaked['seconds']:.0f} s warm-up",
                ["process", "RSS start MiB", "RSS end MiB", "slope MiB/min", "open fds"],
                soak_rows,
                [
                    f"{num(figures['photos'], 0)} photos, {num(figures['events'], 0)} events, "
                    f"{num(figures['hub deliveries'], 0)} hub deliveries (p99 "
                    f"{num(figures['hub delivery p99 ms'])} ms); error lines: "
                    f"{len(soaked['errors'])}; checks: {_problems(soaked['checks'])}.",
                    "start/end: medians of the first and last third after the warm-up; slope: "
                    "least squares. The load's own processes grow with what they record.",
                ],
            )
        )
    return Section(
        "reliability",
        "Reliability: a busy morning and a soak (`python -m bench.reliability`)",
        tables,
        _limits(busy["figures"]),
        result,
    )


def _limits(figures: dict[str, float]) -> str:
    return (
        "two cores shared by PocketBase (receiving and storing every upload, checking the rules "
        "of every realtime subscriber), the thumbnail workers, the hub and the load generators: "
        f"photos wait {num(figures['to photo.ready p50 ms'])} ms (p50) for their thumbnail "
        "behind the others, and uploads slow down as all phones send at once."
    )


def run(quick: bool = False) -> Section:
    return section(measure(MORNING if quick else FULL, QUICK_SOAK_S if quick else SOAK_S))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the tests' reduced morning")
    parser.add_argument("--soak-s", type=float, help="soak length (0: no soak)")
    args = parser.parse_args()
    raise_fd_limit()
    soak_s = args.soak_s if args.soak_s is not None else QUICK_SOAK_S if args.quick else SOAK_S
    print(text(section(measure(MORNING if args.quick else FULL, soak_s))))


if __name__ == "__main__":
    main()
