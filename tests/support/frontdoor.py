"""The front door (Caddy, `frontdoor/serve.sh`) as a process in front of a test PocketBase and
sidecar, on free ports, with its own local CA."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import time
from pathlib import Path

import httpx

from tests.support.net import free_port
from tests.support.pocketbase import ROOT, PocketBaseProcess
from tests.support.sidecar import SidecarProcess

LAUNCHER = ROOT / "frontdoor" / "serve.sh"


class FrontDoorProcess:
    def __init__(self, pb: PocketBaseProcess, sidecar: SidecarProcess, state: Path) -> None:
        self.https_port = free_port()
        self.http_port = free_port()
        self.state = state
        self.url = f"https://localhost:{self.https_port}"
        self.plain_url = f"http://127.0.0.1:{self.http_port}"
        self.root_cert = state / "pki" / "authorities" / "local" / "root.crt"
        self.log_path = state.parent / f"caddy-{self.https_port}.log"
        self.env = {
            **os.environ,
            "FIELDSYNC_PB_HTTP": f"127.0.0.1:{pb.port}",
            "FIELDSYNC_HTTP_HOST": "127.0.0.1",
            "FIELDSYNC_HTTP_PORT": str(sidecar.port),
            "FIELDSYNC_FRONT_HTTPS_PORT": str(self.https_port),
            "FIELDSYNC_FRONT_HTTP_PORT": str(self.http_port),
            "FIELDSYNC_CADDY_DIR": str(state),
        }
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        self._proc = subprocess.Popen(
            [str(LAUNCHER)], env=self.env, stdout=self.log_path.open("ab"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"Caddy exited: {self.log_path.read_text()[-2000:]}")
            if self.root_cert.exists():
                try:
                    with self.client() as client:
                        if client.get("/api/health", timeout=2).status_code == 200:
                            return
                except (httpx.TransportError, ssl.SSLError):
                    pass
            time.sleep(0.1)
        raise TimeoutError("the front door did not answer over https")

    @property
    def pid(self) -> int:
        """Caddy's process id (the launcher execs it)."""
        assert self._proc is not None, "not started"
        return self._proc.pid

    def ssl_context(self) -> ssl.SSLContext:
        """Trusts the front door's local CA, and nothing else."""
        return ssl.create_default_context(cafile=str(self.root_cert))

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=self.ssl_context(), **kwargs)  # type: ignore[arg-type]

    def async_client(self, **kwargs: object) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, verify=self.ssl_context(), **kwargs)  # type: ignore[arg-type]

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            self._proc.wait(timeout=20)
        self._proc = None
