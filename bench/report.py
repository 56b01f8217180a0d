"""Figures into tables: percentiles, plain-text tables for the terminal, docs/benchmarks.md.

The markdown file keeps whatever is above `GENERATED` (the hand-written intro) and rewrites
what is below. Each bench's section sits between `<!-- bench:NAME -->` markers, so a run with
`--only` replaces its own sections and keeps the others from the previous run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.stats import percentile

GENERATED = "<!-- Everything below is written by `python -m bench`; edit only above this line. -->"
ORDER = (
    "latency",
    "fanout",
    "presence",
    "replay_flood",
    "thumbs",
    "thumb_memory",
    "upload",
    "frontdoor",
    "cli",
    "push",
    "pages",
    "reliability",
)
DEFAULT_INTRO = """# Benchmarks

Measured by `./run.sh bench` (`python -m bench`) on loopback, every figure next to its
baseline from the same run.
"""
_BLOCK = re.compile(r"<!-- bench:(\w+) -->\n.*?<!-- /bench:\1 -->\n", re.DOTALL)


@dataclass
class Table:
    """One table: a title, a header row, rows of cells, and notes printed under it."""

    title: str
    head: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


@dataclass
class Section:
    """What one bench reports: its tables, one line on what limits it, and the raw figures."""

    name: str
    title: str
    tables: list[Table]
    limits: str
    data: dict[str, Any] = field(default_factory=dict)


# --- numbers ------------------------------------------------------------------------------


def summary(values: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99, max and count of `values`."""
    ordered = sorted(values)
    return {
        "p50": percentile(ordered, 0.50),
        "p95": percentile(ordered, 0.95),
        "p99": percentile(ordered, 0.99),
        "max": ordered[-1] if ordered else math.nan,
        "count": len(ordered),
    }


def num(value: float, digits: int = 1) -> str:
    """A figure for a table cell ("-" when missing)."""
    return "-" if math.isnan(value) else f"{value:,.{digits}f}"


def check(ok: bool) -> str:
    return "✓" if ok else "✗"


# --- terminal -----------------------------------------------------------------------------


def _width(cell: str) -> int:
    return len(cell)


def text(section: Section) -> str:
    """The section as aligned plain-text tables."""
    out = [f"== {section.title} =="]
    for table in section.tables:
        widths = [
            max(_width(h), *(_width(row[i]) for row in table.rows)) if table.rows else len(h)
            for i, h in enumerate(table.head)
        ]
        out.append(table.title)
        for index, line in enumerate([table.head, *table.rows]):
            cells = [
                cell.ljust(w) if col == 0 else cell.rjust(w)
                for col, (cell, w) in enumerate(zip(line, widths, strict=True))
            ]
            out.append("  ".join(cells))
            if index == 0:
                out.append("  ".join("-" * w for w in widths))
        out.extend(f"  {note}" for note in table.notes)
        out.append("")
    out.append(f"limits: {section.limits}")
    return "\n".join(out)


# --- markdown -----------------------------------------------------------------------------


def _cell(value: str) -> str:
    return value.replace("|", "\\|")


def _markdown_table(table: Table) -> list[str]:
    lines = [f"**{table.title}**", ""]
    lines.append("| " + " | ".join(_cell(h) for h in table.head) + " |")
    lines.append("|" + "|".join([" --- "] + [" ---: "] * (len(table.head) - 1)) + "|")
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    if table.notes:
        lines.append("")
        lines += [f"- {note}" for note in table.notes]
    lines.append("")
    return lines


def section_markdown(section: Section, date: str) -> str:
    lines = [f"<!-- bench:{section.name} -->", f"## {section.title}", "", f"_Run {date}._", ""]
    for table in section.tables:
        lines += _markdown_table(table)
    lines += [f"**What limits it:** {section.limits}", "", f"<!-- /bench:{section.name} -->"]
    return "\n".join(lines) + "\n"


def machine_markdown(machine: dict[str, str], wall_s: float, how: str) -> str:
    rows = [
        ("CPU", f"{machine['cpu']}, {machine['cores']} cores"),
        ("RAM", machine["ram"]),
        ("kernel", machine["kernel"]),
        ("Python", machine["python"]),
        ("PocketBase", machine["pocketbase"]),
        ("date", machine["date"]),
        ("load average at start", machine["load"]),
        ("wall time of the last run", f"{wall_s:.0f} s" + (f" ({how})" if how else "")),
    ]
    lines = ["## Machine", "", "| | |", "| --- | --- |"]
    lines += [f"| {name} | {_cell(value)} |" for name, value in rows]
    return "\n".join(lines) + "\n"


def write(
    path: Path, machine: dict[str, str], sections: list[Section], wall_s: float, how: str = ""
) -> None:
    """Rewrite `path` below `GENERATED`: machine, then sections in `ORDER` (new ones replace
    old; old ones not run now are kept). `how` notes the run's options (e.g. "--only upload")."""
    old = path.read_text() if path.exists() else ""
    intro, marker, generated = old.partition(GENERATED)
    if not marker:  # a file without the marker is all intro
        intro = old or DEFAULT_INTRO
    blocks = {match[1]: match[0] for match in _BLOCK.finditer(generated)}
    for section in sections:
        blocks[section.name] = section_markdown(section, machine["date"])
    body = [machine_markdown(machine, wall_s, how)]
    body += [blocks[name] for name in ORDER if name in blocks]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(intro.rstrip("\n") + "\n\n" + GENERATED + "\n\n" + "\n".join(body))
