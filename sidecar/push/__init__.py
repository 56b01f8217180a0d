"""Web Push from the sidecar: standard VAPID-signed, encrypted pushes to the browsers' push
services when photos arrive and jobs change (`PushNotifier`, an outbox handler)."""

from sidecar.push.config import PushConfig
from sidecar.push.notifier import PushNotifier

__all__ = ["PushConfig", "PushNotifier"]
