"""`python -m bench` (`./run.sh bench`): every benchmark in order, tables, docs/benchmarks.md.

    python -m bench [--only NAME,...] [--quick]

NAME: latency, fanout, presence, replay_flood, thumbs, thumb_memory, upload, frontdoor, cli,
push, pages, reliability.

Prints one table per bench and rewrites docs/benchmarks.md (a --quick smoke run writes
bench/out/benchmarks-quick.md instead, so it never replaces real figures). Raw figures go
to bench/out/. Exits 1 if a bench crashes; a missed target is only marked ✗ in its table.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import (
    cli,
    frontdoor,
    latency,
    pages,
    presence,
    push,
    realtime_fanout,
    reliability,
    replay_flood,
    report,
    thumb_memory,
)
from bench._machine import describe
from bench.report import Section, Table, check, num
from tests.support.sse_load import raise_fd_limit

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
OUT = ROOT / "bench" / "out"
THUMBS_TARGET = 3.0
UPLOAD_TARGET = 1.10
THUMB_LABELS = {
    "baseline": "(a) baseline: Pillow thumbnail(), 1 process",
    "make_thumbnail": "(b) make_thumbnail, 1 process",
    "worker": "(c) ThumbnailWorker, process pool (what the sidecar runs)",
}


def _json_of(module: str, args: list[str]) -> dict[str, Any]:
    """Run `python -m module --json *args` and parse its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", module, "--json", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} exited {done.returncode}: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def thumbs(quick: bool) -> Section:
    args = ["--rounds", "3", "--photos", "8", "--batch", "4"] if quick else []
    result = _json_of("bench.thumbs", args)
    rows = []
    for name, row in result.items():
        if not (isinstance(row, dict) and "ms_per_photo" in row):
            continue
        goal = "-"
        if name == "worker":
            goal = f"≥ {THUMBS_TARGET:g}x {check(row['speedup'] >= THUMBS_TARGET)}"
        rows.append(
            [
                THUMB_LABELS.get(name, name),
                num(row["photos_per_s"]),
                num(row["ms_per_photo"]),
                f"{row['speedup']:.2f}x",
                num(row.get("cpu_ms_per_photo", float("nan"))),
                goal,
            ]
        )
    source = result.get("photo", {})
    notes = [
        f"{source.get('width')}x{source.get('height')} JPEG, "
        f"{source.get('bytes', 0) / 1e6:.1f} MB -> 480 px WebP; {result.get('cpus')} CPUs, "
        f"pool of {result.get('processes')}; median of {result.get('rounds')} interleaved rounds.",
    ]
    if "ceiling" in result:
        ceiling = result["ceiling"]
        notes.append(
            f"Ceiling from CPU time (all {result.get('cpus')} cores idle): "
            f"{num(ceiling['photos_per_s'])} photos/s, {ceiling['speedup']:.2f}x the baseline."
        )
    if "decode_ms" in result:
        notes.append(f"Our decode alone (1/8-scale libjpeg): {num(result['decode_ms'])} ms/photo.")
    table = Table(
        "Thumbnails: ours vs plain Pillow",
        ["contender", "photos/s", "ms/photo", "speedup", "CPU ms/photo", "target"],
        rows,
        notes,
    )
    limits = _thumbs_limits(result)
    return Section("thumbs", "Thumbnails (`python -m bench.thumbs`)", [table], limits, result)


def _thumbs_limits(result: dict[str, Any]) -> str:
    ours, pool = result.get("make_thumbnail", {}), result.get("worker", {})
    parts = []
    if "decode_ms" in result and "ms_per_photo" in ours:
        parts.append(
            f"decoding is {num(result['decode_ms'])} of our {num(ours['ms_per_photo'])} "
            "ms per photo in one process (JPEG Huffman work that no draft() scale skips)"
        )
    if "ceiling" in result and "photos_per_s" in pool:
        ceiling = result["ceiling"]
        parts.append(
            f"the pool gets {num(pool['photos_per_s'])} of the {num(ceiling['photos_per_s'])} "
            f"photos/s its CPU time allows on {result.get('cpus')} cores, so even idle cores "
            f"give {ceiling['speedup']:.2f}x"
        )
    return "; ".join(parts) + "." if parts else "decoding, and the number of cores."


def upload(quick: bool) -> Section:
    args = ["--rounds", "4", "--warmup", "1"] if quick else []
    result = _json_of("bench.upload", args)
    methods = result["methods"]
    rows = [
        [name, num(m["median_ms"]), num(m["p90_ms"]), num(m["min_ms"])]
        for name, m in methods.items()
    ]
    ratios = [("sync", result["ratio_sync"]), ("async", result["ratio_async"])]
    notes = [
        f"{result['size_bytes'] / 2**20:.0f} MiB photo (unique bytes) to PocketBase over "
        f"loopback, {result['rounds']} interleaved rounds (+{result['warmup_rounds']} warm-up).",
        *(
            f"SDK / bare httpx, {kind} (median): {ratio:.3f}, target ≤ {UPLOAD_TARGET:.2f} "
            f"{check(ratio <= UPLOAD_TARGET)}"
            for kind, ratio in ratios
        ),
    ]
    table = Table(
        "Upload: SDK vs bare httpx", ["method", "median ms", "p90 ms", "min ms"], rows, notes
    )
    extra = [
        methods[f"sdk{kind}"]["median_ms"] - methods[f"bare{kind}"]["median_ms"]
        for kind in ("", "-async")
    ]
    limits = (
        f"PocketBase receiving and storing {result['size_bytes'] / 2**20:.0f} MiB "
        f"(bare httpx median {num(methods['bare']['median_ms'])} ms). The SDK, which also "
        f"hashes while streaming, differs by {extra[0]:+.1f} ms (sync) and {extra[1]:+.1f} ms "
        "(async) at the median: run-to-run noise on a shared machine is larger (compare p90 "
        "and min)."
    )
    return Section("upload", "Upload (`python -m bench.upload`)", [table], limits, result)


BENCHES: dict[str, Callable[[bool], Section]] = {
    "latency": lambda quick: latency.run(quick),
    "fanout": lambda quick: realtime_fanout.run(quick),
    "presence": lambda quick: presence.run(quick),
    "replay_flood": lambda quick: replay_flood.run(quick),
    "thumbs": thumbs,
    "thumb_memory": lambda quick: thumb_memory.run(quick),
    "upload": upload,
    "frontdoor": lambda quick: frontdoor.run(quick),
    "cli": lambda quick: cli.run(quick),
    "push": lambda quick: push.run(quick),
    "pages": lambda quick: pages.run(quick),
    "reliability": lambda quick: reliability.run(quick),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(BENCHES), help="comma-separated benches")
    parser.add_argument("--quick", action="store_true", help="small counts: a 1-2 min smoke run")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(names) - set(BENCHES)
    if unknown:
        parser.error(f"unknown bench: {', '.join(sorted(unknown))} (known: {', '.join(BENCHES)})")

    # A stopped run (Ctrl-C, SIGTERM from a timeout) unwinds, so every bench's context managers
    # stop the PocketBase, sidecar and load processes it started.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    raise_fd_limit()  # inherited by PocketBase, the sidecar and the load generators
    machine = describe()
    print(", ".join(f"{key} {value}" for key, value in machine.items()), file=sys.stderr)
    started = time.monotonic()
    sections: list[Section] = []
    crashed: list[str] = []
    for name in [name for name in BENCHES if name in names]:
        began = time.monotonic()
        print(f"# {name} ...", file=sys.stderr, flush=True)
        try:
            section = BENCHES[name](args.quick)
        except Exception:
            traceback.print_exc()
            crashed.append(name)
            continue
        section.data["seconds"] = round(time.monotonic() - began, 1)
        sections.append(section)
        print(report.text(section), flush=True)
        print(f"# {name}: {section.data['seconds']:.0f} s\n", file=sys.stderr, flush=True)
    wall = time.monotonic() - started

    OUT.mkdir(parents=True, exist_ok=True)
    suffix = "-quick" if args.quick else ""
    target = OUT / "benchmarks-quick.md" if args.quick else DOCS
    if sections:
        how = " ".join(
            (["--quick"] if args.quick else [])
            + ([f"--only {','.join(names)}"] if set(BENCHES) - set(names) else [])
        )
        report.write(target, machine, sections, wall, how)
    raw = {"machine": machine, "wall_s": wall, "sections": {s.name: s.data for s in sections}}
    (OUT / f"results{suffix}.json").write_text(json.dumps(raw, indent=1, default=str))
    print(f"# wall time {wall:.0f} s; wrote {target.relative_to(ROOT)}", file=sys.stderr)
    if crashed:
        print(f"# crashed: {', '.join(crashed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
