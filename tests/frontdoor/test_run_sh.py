"""`./run.sh` as a newcomer runs it: PocketBase, the sidecar and the front door come up on one
HTTPS origin with the demo team, the printed addresses work, and SIGTERM stops all three."""

from __future__ import annotations

import os
import re
import signal
import ssl
import subprocess
import time
from pathlib import Path

import httpx

from tests.support.net import free_port
from tests.support.pocketbase import ROOT
from tests.support.processes import descendants
from tests.support.waiting import wait_for


def test_run_sh_serves_everything_on_one_https_origin_and_stops_it_all(tmp_path: Path) -> None:
    https_port = free_port()
    env = {
        **os.environ,
        "FIELDSYNC_STATE_DIR": str(tmp_path / "state"),
        "FIELDSYNC_PB_DIR": str(tmp_path / "pb_data"),
        "FIELDSYNC_PB_HTTP": f"127.0.0.1:{free_port()}",
        "FIELDSYNC_HTTP_PORT": str(free_port()),
        "FIELDSYNC_FRONT_HTTPS_PORT": str(https_port),
        "FIELDSYNC_FRONT_HTTP_PORT": str(free_port()),
        "FIELDSYNC_THUMB_WORKERS": "1",
    }
    env.pop("FIELDSYNC_PB_URL", None)
    log = tmp_path / "run.log"
    run = subprocess.Popen(
        [str(ROOT / "run.sh")], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 180
        while "fieldsync is running" not in log.read_text():
            assert run.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        printed = log.read_text()
        root_cert = Path(re.search(r"Root certificate\s+(\S+)", printed)[1])  # type: ignore[index]
        office = re.search(r"office@demo\.fieldsync\.local\s+/ (\S+)", printed)
        assert office, printed
        password = office[1]
        context = ssl.create_default_context(cafile=str(root_cert))
        base = f"https://localhost:{https_port}"
        with httpx.Client(base_url=base, verify=context, http2=True) as client:
            assert client.get("/api/health").http_version == "HTTP/2"
            login = client.post(
                "/api/collections/users/auth-with-password",
                json={"identity": "office@demo.fieldsync.local", "password": password},
            )
            assert login.status_code == 200, login.text
            exchange = client.post(
                "/.well-known/mercure/token", headers={"Authorization": login.json()["token"]}
            )
            assert exchange.status_code == 200
            assert "secure" in exchange.headers["set-cookie"].lower()
            assert client.get("/").status_code == 200
        children = descendants(run.pid)
        assert {"pocketbase", "caddy"} <= {_program(pid) for pid in children}
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=60)
    wait_for(
        lambda: not [_program(pid) for pid in children if Path(f"/proc/{pid}").exists()],
        timeout=10,
        what="PocketBase, the sidecar and Caddy to stop with run.sh",
    )


def _program(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/exe").resolve().name
    except OSError:
        return ""
