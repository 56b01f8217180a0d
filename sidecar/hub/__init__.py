"""A Mercure hub (protocol 0.x): SSE fan-out, replay from a durable log, publishing, the
subscriptions API. It knows Mercure, not fieldsync: `sidecar.events` maps outbox events to
its updates, `sidecar.exchange` issues its tokens to PocketBase users."""

from sidecar.hub.bus import Bus, LocalBus
from sidecar.hub.config import HubConfig
from sidecar.hub.history import DurableLog, Page
from sidecar.hub.hub import Hub, HubStats
from sidecar.hub.updates import Update, UpdateDraft

__all__ = [
    "Bus",
    "DurableLog",
    "Hub",
    "HubConfig",
    "HubStats",
    "LocalBus",
    "Page",
    "Update",
    "UpdateDraft",
]
