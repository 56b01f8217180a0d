"""What a pull folder holds: ``DIR/.fieldsync/pull.json``, written atomically after each change.

It maps each photo id to the file it became (relative path, sha256, size) and each job id to
its folder, and keeps the hub's last event id. It is written at most twice a second while
files stream in, and at the end. Temp files of downloads in progress live in
``DIR/.fieldsync/partial/`` and are swept at start, so a killed pull leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import fail

__all__ = ["PullState", "PulledPhoto"]

STATE_DIR = ".fieldsync"
DELETED_DIR = ".deleted"
VERSION = 1
SAVE_EVERY_S = 0.5


@dataclass
class PulledPhoto:
    path: str
    """Relative to DIR, with ``/`` separators."""
    sha256: str
    size: int
    job: str


@dataclass
class PullState:
    root: Path
    url: str
    team: str
    last_event_id: str | None = None
    jobs: dict[str, str] = field(default_factory=dict)
    photos: dict[str, PulledPhoto] = field(default_factory=dict)
    _dirty: bool = field(default=False, repr=False)
    _saved_at: float = field(default=0.0, repr=False)

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def partial_dir(self) -> Path:
        return self.state_dir / "partial"

    @property
    def path(self) -> Path:
        return self.state_dir / "pull.json"

    @classmethod
    def open(cls, root: Path, url: str, team: str) -> PullState:
        """The state of `root` (new if there is none); sweeps leftover temp files."""
        state = cls(root, url, team)
        state.partial_dir.mkdir(parents=True, exist_ok=True)
        for leftover in state.partial_dir.iterdir():
            leftover.unlink(missing_ok=True)
        try:
            raw: Any = json.loads(state.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return state
        except (OSError, ValueError) as exc:
            fail(f"cannot read {state.path}: {exc} (move it away to start over)")
        if raw.get("url") != url or raw.get("team") != team:
            fail(
                f"{root} holds photos of team {raw.get('team')} on {raw.get('url')}: "
                "pull into another folder"
            )
        state.last_event_id = raw.get("last_event_id")
        state.jobs = {str(k): str(v) for k, v in raw.get("jobs", {}).items()}
        state.photos = {str(k): PulledPhoto(**v) for k, v in raw.get("photos", {}).items()}
        return state

    def changed(self) -> None:
        """Note a change; written at once unless the last write was under `SAVE_EVERY_S` ago
        (a kill before `flush` only means those files are adopted by hash next time)."""
        self._dirty = True
        if time.monotonic() - self._saved_at >= SAVE_EVERY_S:
            self.flush()

    def flush(self) -> None:
        """Write the state file now if anything changed."""
        if not self._dirty:
            return
        document = {
            "version": VERSION,
            "url": self.url,
            "team": self.team,
            "last_event_id": self.last_event_id,
            "jobs": self.jobs,
            "photos": {key: asdict(value) for key, value in self.photos.items()},
        }
        temp = self.state_dir / f"pull.json.{os.getpid()}.tmp"
        temp.write_text(json.dumps(document, indent=0), encoding="utf-8")
        os.replace(temp, self.path)
        self._dirty = False
        self._saved_at = time.monotonic()

    def taken(self) -> set[str]:
        """Relative paths that photos already use."""
        return {photo.path for photo in self.photos.values()}
