"""Everything a PocketBase holds that the reliability checks compare, read in one go: the
outbox, the photos, the push deliveries, the consumer's cursor, and the photo files on disk.

    ledger = Ledger.read(su, data_dir)
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

PAGE = 1000
CONSUMER = "sidecar"


@dataclass(frozen=True)
class OutboxRow:
    seq: int
    type: str
    collection: str
    record: str
    team: str
    actor: str
    previous: dict[str, Any]
    data: dict[str, Any]
    created: float
    """Commit time, unix seconds (PocketBase keeps milliseconds)."""


@dataclass(frozen=True)
class PhotoRow:
    id: str
    team: str
    job: str
    sha256: str
    file: str
    thumb: str
    status: str
    error: str


@dataclass(frozen=True)
class DeliveryRow:
    event: int
    subscription: str
    status: str
    attempts: int


@dataclass
class Ledger:
    events: list[OutboxRow]
    photos: dict[str, PhotoRow]
    deliveries: list[DeliveryRow]
    cursor: int
    storage: dict[str, dict[str, str]]
    """Photo record id (its storage folder) -> file name -> sha256 of its bytes on disk."""
    integrity: str
    """SQLite's `PRAGMA integrity_check` of data.db ("ok")."""

    @classmethod
    def read(cls, su: httpx.Client, data_dir: Path) -> Ledger:
        events = [
            OutboxRow(
                seq=int(item["seq"]),
                type=item["type"],
                collection=item["collection"],
                record=item["record"],
                team=item["team"],
                actor=item.get("actor") or "",
                previous=item.get("previous") or {},
                data=item["data"] if isinstance(item.get("data"), dict) else {},
                created=pb_time(item["created"]),
            )
            for item in _all(su, "events", sort="seq")
        ]
        photo_items = _all(su, "photos", sort="created")
        photos = {
            item["id"]: PhotoRow(
                item["id"],
                item["team"],
                item["job"],
                item["sha256"],
                item["file"],
                item.get("thumb") or "",
                item["status"],
                item.get("error") or "",
            )
            for item in photo_items
        }
        deliveries = [
            DeliveryRow(int(item["event"]), item["subscription"], item["status"], item["attempts"])
            for item in _all(su, "push_deliveries", sort="event")
        ]
        consumer = _all(su, "consumers", filter=f'name = "{CONSUMER}"')
        collection = su.get("/api/collections/photos").raise_for_status().json()["id"]
        return cls(
            events=events,
            photos=photos,
            deliveries=deliveries,
            cursor=int(consumer[0]["cursor"]) if consumer else 0,
            storage=stored_files(data_dir / "storage" / collection),
            integrity=integrity(data_dir / "data.db"),
        )

    @property
    def head(self) -> int:
        return self.events[-1].seq if self.events else 0

    def after(self, seq: int) -> list[OutboxRow]:
        return [event for event in self.events if event.seq > seq]

    def by_seq(self) -> dict[int, OutboxRow]:
        return {event.seq: event for event in self.events}


def pb_time(text: str) -> float:
    """PocketBase's "2026-11-30 13:52:52.609Z" as unix seconds."""
    return datetime.fromisoformat(text.replace(" ", "T").replace("Z", "+00:00")).timestamp()


def _all(su: httpx.Client, collection: str, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        response = su.get(
            f"/api/collections/{collection}/records",
            params={**params, "page": page, "perPage": PAGE, "skipTotal": "true"},
        )
        response.raise_for_status()
        batch = response.json()["items"]
        items += batch
        if len(batch) < PAGE:
            return items
        page += 1


def stored_files(folder: Path) -> dict[str, dict[str, str]]:
    """Every file under a collection's storage folder, by record folder. PocketBase's own
    metadata files (`*.attrs`) and thumbnails it makes on request (`thumbs_*`) are left out."""
    found: dict[str, dict[str, str]] = {}
    if not folder.exists():
        return found
    for record in sorted(folder.iterdir()):
        files = found.setdefault(record.name, {})
        for path in sorted(record.iterdir()):
            if path.name.endswith(".attrs") or path.name.startswith("thumbs_"):
                continue
            files[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def integrity(database: Path) -> str:
    """`PRAGMA integrity_check` of a SQLite file (read while PocketBase runs, as a reader)."""
    db = sqlite3.connect(database, timeout=30)
    try:
        rows = db.execute("PRAGMA integrity_check").fetchall()
    finally:
        db.close()
    return "; ".join(str(row[0]) for row in rows)
