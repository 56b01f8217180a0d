"""Debian's Chromium driven by Playwright (never a downloaded browser), with the flags this
machine needs (FACTS.md: its closed network refuses background connections)."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str:
    """Chromium's path; fails the test with what to do when it is missing."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: ./run.sh test installs it (apt-get install chromium)")
    return CHROMIUM
