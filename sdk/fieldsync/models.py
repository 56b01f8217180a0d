"""Typed records for fieldsync's PocketBase collections (pydantic v2).

PocketBase sends dates as ``"2026-11-25 10:00:00.123Z"`` and empty optional dates, relations
and files as ``""``; these models turn them into aware `datetime` objects and `None`, and send
them back the way PocketBase reads them. Every field has a default, so a partial answer
(``fields="id,title"``) still parses and a model can be built for `create()` with only the
fields you set. Unknown fields are kept (``extra="allow"``), so a record round-trips.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from enum import Enum, StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

__all__ = [
    "AUTH_MODELS",
    "COLLECTION_MODELS",
    "Backup",
    "Consumer",
    "Event",
    "Job",
    "JobStatus",
    "ListResult",
    "OptionalId",
    "PbDatetime",
    "Photo",
    "PhotoStatus",
    "PushSubscription",
    "RealtimeAction",
    "RealtimeEvent",
    "Record",
    "Role",
    "Superuser",
    "Team",
    "User",
    "format_datetime",
    "parse_datetime",
    "to_payload",
]


def parse_datetime(value: object) -> datetime | None:
    """PocketBase's ``"2026-11-25 10:00:00.123Z"`` (or ISO 8601) -> aware datetime; ``""`` -> None.

    Naive datetimes are taken as UTC, as PocketBase stores every date in UTC.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    else:
        raise TypeError(f"expected a PocketBase date string, got {type(value).__name__}")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed


def format_datetime(value: datetime) -> str:
    """An aware or naive (taken as UTC) datetime -> PocketBase's ``"2026-11-25 10:00:00.123Z"``."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _serialize_datetime(value: datetime | None) -> str | None:
    return None if value is None else format_datetime(value)


def _empty_to_none(value: object) -> object:
    return None if value == "" else value


PbDatetime = Annotated[
    datetime | None,
    BeforeValidator(parse_datetime),
    PlainSerializer(_serialize_datetime, when_used="json"),
]
"""A PocketBase date: ``""`` <-> None, ``"2026-11-25 10:00:00.123Z"`` <-> aware datetime."""

OptionalId = Annotated[str | None, BeforeValidator(_empty_to_none)]
"""An optional single relation (or file name): ``""`` -> None."""


class JobStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class PhotoStatus(StrEnum):
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class Role(StrEnum):
    FIELD = "field"
    OFFICE = "office"
    ADMIN = "admin"


class RealtimeAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class Record(BaseModel):
    """Fields every PocketBase record has; the model of `client.records(name)` without a model.

    `collection_id`/`collection_name` read PocketBase's ``collectionId``/``collectionName``.
    """

    model_config = ConfigDict(
        extra="allow",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        use_enum_values=False,
    )

    id: str = ""
    collection_id: str = Field(default="", alias="collectionId")
    collection_name: str = Field(default="", alias="collectionName")
    created: PbDatetime = None
    updated: PbDatetime = None
    expand: dict[str, Any] = Field(default_factory=dict)


_SYSTEM_FIELDS = frozenset({"collection_id", "collection_name", "created", "updated", "expand"})
"""Fields the server owns: never sent on create or update."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Record):
        return value.id
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item) for item in value]
    return value


def to_payload(data: Record | Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body for a create or update.

    A model sends only the fields that were set when it was built (``Job(status="done")``
    sends ``{"status": "done"}``), never the server-owned ones (collection, created, updated,
    expand) nor an empty id. A mapping is sent as given, with datetimes in PocketBase's
    format, enums as their values and records as their ids.
    """
    if isinstance(data, Record):
        include = set(data.model_fields_set) - _SYSTEM_FIELDS
        if not data.id:
            include.discard("id")
        return data.model_dump(mode="json", by_alias=True, include=include)
    return {str(key): _jsonable(value) for key, value in data.items()}


class Team(Record):
    name: str = ""


class User(Record):
    """A record of the built-in ``users`` auth collection."""

    email: str = ""
    email_visibility: bool = Field(default=False, alias="emailVisibility")
    verified: bool = False
    name: str = ""
    avatar: OptionalId = None
    role: Annotated[Role | None, BeforeValidator(_empty_to_none)] = None
    team: OptionalId = None


class Superuser(Record):
    """A record of PocketBase's ``_superusers`` collection."""

    email: str = ""


class Job(Record):
    team: str = ""
    title: str = ""
    description: str = ""
    customer: str = ""
    status: JobStatus = JobStatus.NEW
    assignee: OptionalId = None
    due: PbDatetime = None
    created_by: OptionalId = None


class Photo(Record):
    """A photo of a job. `file` and `thumb` hold file names: use `client.files` to fetch them."""

    team: str = ""
    job: str = ""
    file: str = ""
    caption: str = ""
    taken_at: PbDatetime = None
    device_id: str = ""
    sha256: str = ""
    uploaded_by: OptionalId = None
    thumb: OptionalId = None
    width: int = 0
    height: int = 0
    status: PhotoStatus = PhotoStatus.PROCESSING
    error: str = ""


class PushSubscription(Record):
    user: str = ""
    endpoint: str = ""
    p256dh: str = ""
    auth: str = ""
    user_agent: str = ""


class Event(Record):
    """A row of the ``events`` outbox (superusers only)."""

    seq: int = 0
    type: str = ""
    collection: str = ""
    record: str = ""
    team: str = ""
    data: Any = None
    """The record's JSON snapshot (an object), or a published update's data (a string)."""
    topics: list[str] | None = None
    private: bool = False
    uid: str = ""
    retry: int | None = None


class Backup(BaseModel):
    """One backup archive in PocketBase's ``pb_data/backups``."""

    key: str
    size: int = 0
    modified: PbDatetime = None


class Consumer(Record):
    """An outbox consumer's persisted cursor and lease (superusers only)."""

    name: str = ""
    cursor: int = 0
    holder: str = ""
    lease_until: PbDatetime = None


M = TypeVar("M", bound=Record)


class ListResult(BaseModel, Generic[M]):
    """One page of a list. `total_items`/`total_pages` are -1 when the total was skipped."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    page: int = 1
    per_page: int = Field(default=30, alias="perPage")
    total_items: int = Field(default=-1, alias="totalItems")
    total_pages: int = Field(default=-1, alias="totalPages")
    items: list[M] = Field(default_factory=list)


class RealtimeEvent(BaseModel, Generic[M]):
    """A realtime message: what happened (`action`) to which `record`."""

    action: RealtimeAction
    record: M


AUTH_MODELS: dict[str, type[Record]] = {"users": User, "_superusers": Superuser}
"""The model of the auth record for each auth collection name (others parse as `Record`)."""

COLLECTION_MODELS: dict[str, type[Record]] = {
    "teams": Team,
    "users": User,
    "_superusers": Superuser,
    "jobs": Job,
    "photos": Photo,
    "push_subscriptions": PushSubscription,
    "events": Event,
    "consumers": Consumer,
}
"""fieldsync's collections and their models."""
