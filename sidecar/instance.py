"""This process's name as an outbox lease holder, and whether another holder's process is gone."""

from __future__ import annotations

import os
import socket


def instance_name(pid: int | None = None) -> str:
    """This process's (or `pid`'s) name as a lease holder: host, pid and start time."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_start_time(pid)}"


def is_gone(holder: str) -> bool:
    """Whether `holder` names a process of this host that no longer runs. False when unsure
    (another host, a name not made by `instance_name`): then only the deadline frees a lease."""
    host, _, rest = holder.partition(":")
    pid, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit() or not started.isdigit():
        return False
    return _start_time(int(pid)) != started


def _start_time(pid: int) -> str:
    """When `pid` started (clock ticks since boot, from /proc); "" if no such process."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""
