"""The `fieldsync` command run as a subprocess against the real PocketBase (and sidecar).

Each test gets its own config dir (so its own saved login) and, through `team`, a team of its
own, so a `pull` sees only the photos the test made.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.support.pocketbase import ROOT
from tests.support.teams import Member, SeededTeam, make_team

COMMAND = [sys.executable, "-m", "fieldsync.cli"]


@dataclass
class Running:
    """A `fieldsync` process started by `Cli.popen`; what it printed so far."""

    process: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text()

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def stop(self, sig: int = signal.SIGINT, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


@dataclass
class Cli:
    """Runs `fieldsync` with an isolated config dir; `env` adds variables."""

    config_home: Path
    url: str

    def env(self, **extra: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("FIELDSYNC_")}
        env.update(
            XDG_CONFIG_HOME=str(self.config_home),
            COLUMNS="200",
            NO_COLOR="1",
            PYTHONUNBUFFERED="1",
            **extra,
        )
        return env

    def __call__(
        self, *args: str, input: str | None = None, timeout: float = 120, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*COMMAND, *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(**env),
            cwd=ROOT,
            check=False,
        )

    def popen(self, *args: str, logs: Path, **env: str) -> Running:
        """Start a long-running command (watch, tail, pull --follow), output into files."""
        logs.mkdir(parents=True, exist_ok=True)
        out, err = logs / "stdout", logs / "stderr"
        with out.open("w") as stdout, err.open("w") as stderr:
            process = subprocess.Popen(
                [*COMMAND, *args], stdout=stdout, stderr=stderr, env=self.env(**env), cwd=ROOT
            )
        return Running(process, out, err)

    def login(self, member: Member) -> None:
        done = self(
            "login",
            "--url",
            self.url,
            "--email",
            member.email,
            "--password-stdin",
            input=member.password + "\n",
        )
        assert done.returncode == 0, done.stderr


@pytest.fixture
def cli(tmp_path: Path, pocketbase: object) -> Cli:
    url = pocketbase.url  # type: ignore[attr-defined]
    return Cli(tmp_path / "config", url)


def show_emails(superuser: httpx.Client, team: SeededTeam) -> SeededTeam:
    """Let teammates see each other's emails (PocketBase hides them unless `emailVisibility`),
    which `jobs --assign EMAIL` needs to find a member."""
    for member in (team.field, team.office, team.admin):
        superuser.patch(
            f"/api/collections/users/records/{member.id}", json={"emailVisibility": True}
        ).raise_for_status()
    return team


@pytest.fixture
def team(superuser: httpx.Client) -> SeededTeam:
    """A team of the test's own (photos are deduplicated per team, and pulled per team)."""
    return show_emails(superuser, make_team(superuser, "CLI Crew"))


@pytest.fixture
def office(cli: Cli, team: SeededTeam) -> Cli:
    """`cli` logged in as the team's office user."""
    cli.login(team.office)
    return cli


def jpeg_bytes(seed: int, size: int = 20_000) -> bytes:
    """A small JPEG whose bytes are unique to `seed`, padded to about `size` bytes."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (seed % 256, (seed * 7) % 256, 120)).save(buffer, "JPEG")
    head = buffer.getvalue()
    pad = max(size - len(head), 0)
    return head + seed.to_bytes(8, "big") * (pad // 8) + os.urandom(pad % 8 + 8)


PhotoMaker = Callable[..., Path]


@pytest.fixture
def make_photo(tmp_path: Path) -> Iterator[PhotoMaker]:
    """Write unique JPEGs into the test's temp dir: ``make_photo("a.jpg", size=...)``."""
    folder = tmp_path / "photos"
    folder.mkdir()
    counter = [0]

    def make(name: str, size: int = 20_000, directory: Path | None = None) -> Path:
        counter[0] += 1
        path = (directory or folder) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(jpeg_bytes(counter[0] + int.from_bytes(os.urandom(3), "big"), size))
        return path

    yield make
