"""The machine a benchmark ran on (what a process costs it: tests/support/processes.py)."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path

POCKETBASE = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "pocketbase"


def _first(path: str, key: str) -> str:
    try:
        with open(path) as file:
            for line in file:
                name, _, value = line.partition(":")
                if name.strip() == key:
                    return value.strip()
    except OSError:
        pass
    return "?"


def pocketbase_version() -> str:
    try:
        out = subprocess.run(
            [str(POCKETBASE), "--version"], capture_output=True, text=True, timeout=10
        ).stdout
    except OSError:
        return "?"
    return out.strip().rsplit(" ", 1)[-1] or "?"


def describe() -> dict[str, str]:
    """CPU model, cores, RAM, kernel, Python, PocketBase version, date and load at start."""
    mem_kb = _first("/proc/meminfo", "MemTotal").split()[0]
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return {
        "cpu": _first("/proc/cpuinfo", "model name"),
        "cores": str(os.cpu_count()),
        "ram": f"{int(mem_kb) / 2**20:.1f} GiB" if mem_kb.isdigit() else "?",
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "pocketbase": pocketbase_version(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load": load,
    }
