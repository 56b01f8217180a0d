"""Live delivery while 200 clients replay the hub from `earliest`, against a quiet hub.

    python -m bench.replay_flood [--rounds 3]

A real PocketBase (temp dir) whose outbox holds 700 job changes, more than the hub's
in-memory history (10), so every replay reads PocketBase's outbox (in shared pages); the real
sidecar, caught up. Each round: a normal subscriber follows one job while it is changed
through PocketBase's REST API every 50 ms, first with nothing else going on (quiet), then while
a load process (niced, as in the attack test) opens 200 replays of the whole outbox at once
(flood). Latency from the change sent to its event on the hub; quiet and flood rounds
alternate, so both see the same machine. The flood's outbox reads are counted by the sidecar.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.report import Section, Table, check, num, summary, text
from tests.support.delivery import timed_job_updates
from tests.support.processes import cpu_seconds
from tests.support.replay_flood import (
    CLIENTS,
    EVENTS,
    flooded_stack,
    newest_seq,
    outbox_reads,
    start_flood,
)
from tests.support.sse import exchange_token
from tests.support.teams import SeededTeam

TARGET_P99_MS = 100.0
QUIET_S = 3.0
EVERY_S = 0.05


def measure(rounds: int) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="fieldsync-replay-flood-") as root,
        flooded_stack(Path(root)) as (pb, sidecar, team),
    ):
        token = asyncio.run(_token(sidecar.url, team.office.token))
        with pb.superuser_client() as su:
            newest = newest_seq(su)
        topic = f"/teams/{team.id}/{{+rest}}"
        quiet: list[float] = []
        flood: list[float] = []
        reads: list[int] = []
        replayed: list[int] = []
        cpu_ms: list[float] = []
        for _ in range(rounds):
            quiet += _timed(pb.url, sidecar.url, team, token, _for(QUIET_S))
            before, cpu = outbox_reads(sidecar), cpu_seconds(sidecar.pid)
            process, out = start_flood(sidecar.port, token, topic, str(newest))
            flood += _timed(pb.url, sidecar.url, team, token, process.is_alive)
            replayed.append(out.get(timeout=30))
            process.join(timeout=10)
            reads.append(outbox_reads(sidecar) - before)
            cpu_ms.append((cpu_seconds(sidecar.pid) - cpu) * 1000)
    return {
        "rounds": rounds,
        "cpus": os.cpu_count(),
        "quiet": summary(quiet),
        "flood": summary(flood),
        "reads": reads,
        "replayed": replayed,
        "sidecar_cpu_ms": cpu_ms,
    }


def _for(seconds: float) -> Callable[[], bool]:
    ends = time.monotonic() + seconds
    return lambda: time.monotonic() < ends


def _timed(
    pb_url: str, hub_url: str, team: SeededTeam, token: str, going: Callable[[], bool]
) -> list[float]:
    """Delivery times of job changes made every EVERY_S while `going()` (at most a minute)."""
    ends = time.monotonic() + 60
    return asyncio.run(
        timed_job_updates(
            pb_url,
            hub_url,
            team,
            token,
            lambda: going() and time.monotonic() < ends,
            every_s=EVERY_S,
        )
    )


async def _token(hub: str, pb_token: str) -> str:
    async with httpx.AsyncClient(base_url=hub) as client:
        return await exchange_token(client, pb_token)


def section(result: dict[str, Any]) -> Section:
    quiet, flood = result["quiet"], result["flood"]
    rows = [
        [
            name,
            f"{figures['count']:.0f}",
            num(figures["p50"]),
            num(figures["p99"]),
            num(figures["max"]),
            goal,
        ]
        for name, figures, goal in (
            ("quiet hub", quiet, "-"),
            (
                f"{CLIENTS} replays of {EVENTS} events at once",
                flood,
                f"p99 < {TARGET_P99_MS:g} ms {check(flood['p99'] < TARGET_P99_MS)}",
            ),
        )
    ]
    table = Table(
        "Live delivery to a normal subscriber, ms",
        ["while", "updates", "p50", "p99", "max", "target"],
        rows,
        [
            f"{result['rounds']} rounds, quiet and flood alternating; a job changed every "
            f"{EVERY_S * 1000:g} ms, change sent -> event received. Replays completed per "
            f"round: {', '.join(str(n) for n in result['replayed'])} of {CLIENTS}; outbox reads "
            f"per flood: {', '.join(str(n) for n in result['reads'])} (unshared: "
            f"{CLIENTS * 2}); the sidecar's CPU per flood: "
            f"{', '.join(f'{ms:.0f} ms' for ms in result['sidecar_cpu_ms'])}. "
            f"{result['cpus']} CPUs shared by PocketBase, the sidecar, the flood's clients and "
            "the measuring subscriber.",
        ],
    )
    limits = (
        "CPU: a flood makes the sidecar parse each outbox page once and write 200 replays of "
        "~350 KB, while PocketBase, the 200 clients and the measurer use the same cores; live "
        "updates wait behind that work in the sidecar's one event loop."
    )
    return Section(
        "replay_flood", "Replay flood (`python -m bench.replay_flood`)", [table], limits, result
    )


def run(quick: bool = False) -> Section:
    return section(measure(1 if quick else 3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(text(section(measure(args.rounds))))


if __name__ == "__main__":
    main()
