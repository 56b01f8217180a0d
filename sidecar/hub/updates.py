"""Updates: what the hub fans out, each encoded once as a server-sent event frame."""

from __future__ import annotations

from dataclasses import dataclass, field

_FORBIDDEN = frozenset("\r\n\0")


def check_field(name: str, value: str | None) -> None:
    """Refuse (ValueError) a value that would inject lines into the event stream."""
    if value is not None and not _FORBIDDEN.isdisjoint(value):
        raise ValueError(f'"{name}" must not contain CR, LF or NUL')


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateDraft:
    """An update as a publisher sent it, before the outbox gave it a `seq`."""

    topics: tuple[str, ...]
    data: str
    private: bool
    id: str | None = None
    type: str | None = None
    retry: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Update:
    """A stored update: `seq` orders it (outbox sequence, >= 1), `id` is its SSE id.

    `id` is the publisher-supplied id if any, else `str(seq)`. The first topic is canonical,
    the others alternates, as in Mercure. `scope` is the partition the update belongs to (see
    `HubConfig.scope_claim`), None for none.
    """

    seq: int
    id: str
    topics: tuple[str, ...]
    data: str
    private: bool
    type: str | None = None
    retry: int | None = None
    scope: str | None = None
    frame: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("id must not be empty")
        if not self.topics:
            raise ValueError("an update needs at least one topic")
        check_field("id", self.id)
        check_field("type", self.type)
        object.__setattr__(self, "frame", encode_frame(self))


def encode_frame(update: Update) -> bytes:
    """Serialize `update` as one `text/event-stream` event; data lines are split as SSE requires."""
    lines = [f"id: {update.id}"]
    if update.type:
        lines.append(f"event: {update.type}")
    if update.retry is not None:
        lines.append(f"retry: {update.retry}")
    data = update.data.replace("\r\n", "\n").replace("\r", "\n")
    lines.extend(f"data: {line}" for line in data.split("\n"))
    lines.append("\n")
    return "\n".join(lines).encode()
