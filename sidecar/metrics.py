"""Counters and gauges the sidecar exposes at `/metrics` in the Prometheus text format."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Metrics:
    events_handled: Counter[str] = field(default_factory=Counter)
    """Per event type."""
    events_failed: Counter[str] = field(default_factory=Counter)
    """Recorded and skipped after bounded retries, per event type."""
    event_retries: int = 0
    thumbnails: Counter[str] = field(default_factory=Counter)
    """Per outcome: ready / failed / skipped."""
    lag_seconds: float = 0.0
    """Commit -> handled, of the last event handled."""
    cursor: int = 0
    head_seq: int = 0
    in_flight: int = 0
    hub_dispatched: int = 0
    holds_lease: bool = False
    gauges: dict[str, Callable[[], float]] = field(default_factory=dict)
    """Extra gauges read at scrape time (hub subscribers...)."""
    sections: list[Callable[[], str]] = field(default_factory=list)
    """Whole blocks of metrics other parts render themselves (push)."""

    @property
    def queue_depth(self) -> int:
        """Events committed but not yet handled by this consumer."""
        return max(self.head_seq - self.cursor, 0)

    def render(self) -> str:
        lines: list[str] = []

        def metric(name: str, kind: str, help_text: str, samples: dict[str, float]) -> None:
            lines.append(f"# HELP fieldsync_{name} {help_text}")
            lines.append(f"# TYPE fieldsync_{name} {kind}")
            for labels, value in samples.items():
                lines.append(f"fieldsync_{name}{labels} {value:g}")

        def by_type(counter: Counter[str], label: str) -> dict[str, float]:
            return {f'{{{label}="{key}"}}': float(n) for key, n in sorted(counter.items())} or {
                "": 0.0
            }

        metric(
            "events_handled_total",
            "counter",
            "Outbox events handled.",
            by_type(self.events_handled, "type"),
        )
        metric(
            "events_failed_total",
            "counter",
            "Outbox events recorded as failed and skipped.",
            by_type(self.events_failed, "type"),
        )
        metric("event_retries_total", "counter", "Handler retries.", {"": self.event_retries})
        metric(
            "thumbnails_total", "counter", "Thumbnail outcomes.", by_type(self.thumbnails, "result")
        )
        metric("lag_seconds", "gauge", "Commit to handled, last event.", {"": self.lag_seconds})
        metric("cursor", "gauge", "Last outbox sequence handled in order.", {"": self.cursor})
        metric("head_seq", "gauge", "Newest outbox sequence seen.", {"": self.head_seq})
        metric("queue_depth", "gauge", "Outbox events not yet handled.", {"": self.queue_depth})
        metric("in_flight", "gauge", "Events being handled now.", {"": self.in_flight})
        metric(
            "holds_lease",
            "gauge",
            "1 when this process holds the consumer lease.",
            {"": float(self.holds_lease)},
        )
        metric(
            "hub_dispatched_total",
            "counter",
            "Updates handed to the hub.",
            {"": self.hub_dispatched},
        )
        for name, read in sorted(self.gauges.items()):
            metric(name, "gauge", name.replace("_", " ").capitalize() + ".", {"": read()})
        return "\n".join(lines) + "\n" + "".join(render() for render in self.sections)
