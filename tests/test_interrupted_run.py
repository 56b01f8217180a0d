"""A test run stopped with SIGTERM stops the servers its fixtures started (tests/conftest.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.pocketbase import ROOT
from tests.support.waiting import wait_for

INNER = """
import os, threading
from pathlib import Path


def test_holds_a_server(fresh_pocketbase):
    Path(os.environ["FIELDSYNC_TEST_PIDFILE"]).write_text(str(fresh_pocketbase.pid))
    threading.Event().wait(120)  # until the run is stopped
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigterm_stops_the_fixtures_servers(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(INNER)
    pidfile = tmp_path / "pocketbase.pid"
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.conftest",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_inner.py"),
        ],
        cwd=ROOT,
        env={**os.environ, "FIELDSYNC_TEST_PIDFILE": str(pidfile)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    pid = 0
    try:
        pid = int(
            wait_for(
                lambda: pidfile.exists() and pidfile.read_text(),
                timeout=60,
                what="the inner test's PocketBase",
            )
        )
        assert _alive(pid)
        run.send_signal(signal.SIGTERM)
        output, _ = run.communicate(timeout=60)
        assert run.returncode == 2, output  # pytest's "interrupted"
        assert "stopped by signal 15" in output, output
        wait_for(lambda: not _alive(pid), timeout=10, what="PocketBase to stop")
    finally:
        if run.poll() is None:
            run.kill()
        if pid and _alive(pid):  # what this test is about went wrong: leave no server behind
            os.kill(pid, signal.SIGKILL)
