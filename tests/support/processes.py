"""What a process costs, read from /proc (Linux): memory, CPU time, its descendants."""

from __future__ import annotations

import os
from pathlib import Path


def _status(pid: int, key: str) -> int:
    """A `kB` line of /proc/<pid>/status, in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name == key:
                return int(value.split()[0])
    raise RuntimeError(f"no {key} for process {pid}")


def rss_kib(pid: int) -> int:
    """Resident memory of `pid` now (VmRSS, KiB)."""
    return _status(pid, "VmRSS")


def peak_rss_kib(pid: int) -> int:
    """The most resident memory `pid` has had (VmHWM, KiB)."""
    return _status(pid, "VmHWM")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by `pid` (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds(pid: int) -> int:
    """File descriptors `pid` holds open."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def descendants(pid: int) -> set[int]:
    """Pids of every process started under `pid` (children, their children...)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found
