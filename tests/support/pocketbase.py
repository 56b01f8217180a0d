"""A real PocketBase process on a free port with a temp data dir, for tests and benchmarks.

Every command goes through `pocketbase/pb.sh`, the launcher `run.sh` uses too: the repo's
migrations, hooks and pages, exactly as in production.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "pocketbase" / "pb.sh"


class PocketBaseProcess:
    """Starts, stops, kills and restarts one PocketBase server (same data dir and port)."""

    def __init__(
        self, data_dir: Path, *, port: int | None = None, env: dict[str, str] | None = None
    ):
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.superuser_email = "superuser@fieldsync.test"
        self.superuser_password = "pb" + secrets.token_urlsafe(
            18
        )  # never a leading "-" (a CLI flag)
        self.env = {
            **os.environ,
            **(env or {}),
            "FIELDSYNC_PB_DIR": str(data_dir),
            "FIELDSYNC_PB_HTTP": f"127.0.0.1:{self.port}",
        }
        self.log_path = data_dir.parent / f"pocketbase-{self.port}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def _cli(self, *args: str) -> None:
        subprocess.run([str(LAUNCHER), *args], check=True, capture_output=True, env=self.env)

    def setup(self) -> None:
        """Apply migrations and create the superuser (what `run.sh` does on first run)."""
        self._cli("migrate", "up")
        self._cli("superuser", "upsert", self.superuser_email, self.superuser_password)

    def start(self, timeout: float = 20.0) -> None:
        log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            [str(LAUNCHER), "serve"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"PocketBase exited early: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"PocketBase did not answer on {self.url} within {timeout} s")

    @property
    def pid(self) -> int:
        """The running server's process id."""
        assert self._proc is not None, "not started"
        return self._proc.pid

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            os.killpg(self._proc.pid, sig)
            self._proc.wait(timeout=20)
        self._proc = None

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def restart(self) -> None:
        self.stop()
        self.start()

    def superuser_token(self) -> str:
        response = httpx.post(
            f"{self.url}/api/collections/_superusers/auth-with-password",
            json={"identity": self.superuser_email, "password": self.superuser_password},
        )
        response.raise_for_status()
        return str(response.json()["token"])

    def superuser_client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": self.superuser_token()}, timeout=30
        )

    def exempt_loopback(self) -> None:
        """Lift the per-IP rate limits for 127.0.0.1, where every test client comes from."""
        with self.superuser_client() as su:
            su.patch(
                "/api/settings", json={"rateLimits": {"excludedIPs": ["127.0.0.1"]}}
            ).raise_for_status()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def launch(
    data_dir: Path,
    *,
    exempt_loopback: bool = False,
    port: int | None = None,
    env: dict[str, str] | None = None,
) -> PocketBaseProcess:
    """Set up and start a PocketBase in `data_dir` (created if missing).

    `exempt_loopback` lifts PocketBase's per-IP rate limits for 127.0.0.1, where every test
    client and load generator comes from (rate-limit tests use a server without it).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    pb = PocketBaseProcess(data_dir, port=port, env=env)
    pb.setup()
    pb.start()
    if exempt_loopback:
        pb.exempt_loopback()
    return pb
