"""Web Push counters and the send latency, in the Prometheus text format (`render()` is
appended to the sidecar's `/metrics`)."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class PushMetrics:
    sent: int = 0
    """Accepted by the push service (2xx)."""
    failed: Counter[str] = field(default_factory=Counter)
    """Given up, per reason: too_large, refused, not_allowed, invalid_keys, expired, gave_up."""
    pruned: int = 0
    """Subscriptions deleted because the push service said they are gone (404/410)."""
    retried: int = 0
    """Deliveries put back for a later try (429, 5xx, no answer)."""
    planned: int = 0
    """Deliveries recorded for outbox events."""
    latency_buckets: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BUCKETS))
    latency_sum: float = 0.0
    latency_count: int = 0
    queued: Callable[[], int] = lambda: 0
    """Deliveries this process holds, waiting or being sent (read at scrape time)."""

    def observe(self, seconds: float) -> None:
        """One request to a push service took `seconds` (answered or not)."""
        index = bisect.bisect_left(LATENCY_BUCKETS, seconds)
        if index < len(self.latency_buckets):
            self.latency_buckets[index] += 1
        self.latency_sum += seconds
        self.latency_count += 1

    def render(self) -> str:
        lines: list[str] = []

        def metric(name: str, kind: str, help_text: str, samples: dict[str, float]) -> None:
            lines.append(f"# HELP fieldsync_{name} {help_text}")
            lines.append(f"# TYPE fieldsync_{name} {kind}")
            for suffix_labels, value in samples.items():
                lines.append(f"fieldsync_{name}{suffix_labels} {value:g}")

        metric("push_sent_total", "counter", "Pushes accepted by a push service.", {"": self.sent})
        failed = {f'{{reason="{reason}"}}': float(n) for reason, n in sorted(self.failed.items())}
        metric("push_failed_total", "counter", "Pushes given up.", failed or {"": 0.0})
        metric(
            "push_pruned_total", "counter", "Subscriptions deleted (404/410).", {"": self.pruned}
        )
        metric("push_retried_total", "counter", "Pushes put back for a retry.", {"": self.retried})
        metric("push_planned_total", "counter", "Pushes recorded for events.", {"": self.planned})
        metric("push_queued", "gauge", "Pushes held by this process.", {"": self.queued()})
        lines.append("# HELP fieldsync_push_send_seconds Time of one request to a push service.")
        lines.append("# TYPE fieldsync_push_send_seconds histogram")
        cumulative = 0
        for bound, count in zip(LATENCY_BUCKETS, self.latency_buckets, strict=True):
            cumulative += count
            lines.append(f'fieldsync_push_send_seconds_bucket{{le="{bound:g}"}} {cumulative}')
        lines.append(f'fieldsync_push_send_seconds_bucket{{le="+Inf"}} {self.latency_count}')
        lines.append(f"fieldsync_push_send_seconds_sum {self.latency_sum:g}")
        lines.append(f"fieldsync_push_send_seconds_count {self.latency_count}")
        return "\n".join(lines) + "\n"
