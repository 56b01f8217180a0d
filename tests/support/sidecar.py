"""The real sidecar (`python -m sidecar`) as a process, pointed at a test PocketBase."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.net import free_port
from tests.support.pocketbase import ROOT, PocketBaseProcess, launch
from tests.support.processes import descendants
from tests.support.teams import SeededTeam, make_team

METRICS_TOKEN = "test-metrics-token"
SUBSCRIBER_KEY = "test-subscriber-key-0123456789abcdef"
PUBLISHER_KEY = "test-publisher-key-0123456789abcdef"


class SidecarProcess:
    def __init__(
        self, pb: PocketBaseProcess, log_dir: Path, *, port: int | None = None, **env: str
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"sidecar-{self.port}.log"
        self.env = {
            **os.environ,
            "FIELDSYNC_PB_URL": pb.url,
            "FIELDSYNC_PB_SUPERUSER_EMAIL": pb.superuser_email,
            "FIELDSYNC_PB_SUPERUSER_PASSWORD": pb.superuser_password,
            "FIELDSYNC_HTTP_PORT": str(self.port),
            "FIELDSYNC_HUB_SUBSCRIBER_KEY": SUBSCRIBER_KEY,
            "FIELDSYNC_HUB_PUBLISHER_KEY": PUBLISHER_KEY,
            "FIELDSYNC_METRICS_TOKEN": METRICS_TOKEN,
            "FIELDSYNC_POLL_INTERVAL_S": "5",
            "FIELDSYNC_THUMB_WORKERS": "2",
            **env,
        }
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0, *, ready: bool = True) -> None:
        """Start and wait for /healthz (and, with `ready`, for the hub to be open)."""
        log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "sidecar"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"sidecar exited: {self.log_path.read_text()[-3000:]}")
            try:
                response = httpx.get(f"{self.url}/healthz", headers=self._operator, timeout=1)
                if response.status_code == 200 and (not ready or response.json()["hub"] == "open"):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"sidecar did not answer /healthz: {self.log_path.read_text()[-3000:]}")

    @property
    def pid(self) -> int:
        """The running server's process id."""
        assert self._proc is not None, "not started"
        return self._proc.pid

    def health(self) -> dict[str, object]:
        response = httpx.get(f"{self.url}/healthz", headers=self._operator, timeout=5)
        response.raise_for_status()
        return dict(response.json())

    def metrics(self) -> str:
        response = httpx.get(f"{self.url}/metrics", headers=self._operator, timeout=5)
        response.raise_for_status()
        return response.text

    @property
    def _operator(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.env['FIELDSYNC_METRICS_TOKEN']}"}

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int | None:
        """Stop with `sig`. One that does not stop in `timeout` has its stacks dumped to its log
        (SIGUSR1), is killed (so it cannot hold the outbox lease on), and fails the test."""
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(sig)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGUSR1)
            time.sleep(1)
            proc.kill()
            proc.wait()
            raise AssertionError(
                f"sidecar did not stop in {timeout} s: {self.log_path.read_text()[-6000:]}"
            ) from None

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def descendants(self) -> set[int]:
        """Pids of every process started under the sidecar (thumbnail workers...)."""
        assert self._proc is not None
        return descendants(self._proc.pid)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text()


SidecarFactory = Callable[..., SidecarProcess]
"""`make_sidecar(pb, consumer=None, **env)`: the root conftest's fixture."""


@contextmanager
def own_stack(
    root: Path,
    team_name: str,
    *,
    exempt_loopback: bool = True,
    seed: Callable[[httpx.Client, SeededTeam], object] | None = None,
    **env: str,
) -> Iterator[tuple[PocketBaseProcess, SidecarProcess, SeededTeam]]:
    """A PocketBase of its own in `root` with one team (`seed(superuser, team)` runs next, before
    the sidecar starts), and a sidecar on it with `env`; both stopped at the end, even when
    setting them up fails. For tests that attack or flood the server and must not share it."""
    pb = launch(root / "pb_data", exempt_loopback=exempt_loopback)
    sidecar = SidecarProcess(pb, root, port=None, **env)
    try:
        with pb.superuser_client() as su:
            team = make_team(su, team_name)
            if seed is not None:
                seed(su, team)
        sidecar.start()
        yield pb, sidecar, team
    finally:
        sidecar.stop()
        pb.cleanup()
