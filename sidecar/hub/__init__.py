"""The Mercure hub: SSE fan-out of outbox events, replay, publishing, token exchange."""

from sidecar.hub.bus import Bus, LocalBus
from sidecar.hub.config import HubConfig
from sidecar.hub.history import DurableLog
from sidecar.hub.hub import Hub, HubStats
from sidecar.hub.tokens import Principal
from sidecar.hub.topics import topics_for_event
from sidecar.hub.updates import Update, UpdateDraft

__all__ = [
    "Bus",
    "DurableLog",
    "Hub",
    "HubConfig",
    "HubStats",
    "LocalBus",
    "Principal",
    "Update",
    "UpdateDraft",
    "topics_for_event",
]
