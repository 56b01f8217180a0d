"""Reconnect delays: exponential backoff with jitter (pure maths, no sleeping here).

The realtime subscriptions of both clients use it; the caller supplies the random number, so
the maths is testable and the sleep stays with the client (`_concurrency.asleep`/`sleep`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Backoff"]


@dataclass(frozen=True)
class Backoff:
    """Delay before reconnect attempt `attempt` (0, 1, 2, ...).

    The ceiling grows as ``initial * multiplier ** attempt`` up to `maximum`; `jitter` is the
    fraction of it that is random, so many clients dropped at once do not return at once
    (``jitter=1`` is "full jitter", ``0`` none).
    """

    initial: float = 0.25
    maximum: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.initial < 0 or self.maximum < self.initial:
            raise ValueError("need 0 <= initial <= maximum")
        if self.multiplier < 1:
            raise ValueError("multiplier must be >= 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")

    def ceiling(self, attempt: int) -> float:
        """The largest delay for `attempt`, before jitter."""
        if attempt < 0:
            raise ValueError("attempt must be >= 0")
        # Compare in the exponent so a long outage cannot overflow the float.
        delay = self.initial
        for _ in range(attempt):
            delay *= self.multiplier
            if delay >= self.maximum:
                return self.maximum
        return min(delay, self.maximum)

    def delay(self, attempt: int, rand: float) -> float:
        """The delay for `attempt` given `rand` drawn uniformly from [0, 1)."""
        if not 0 <= rand <= 1:
            raise ValueError("rand must be in [0, 1]")
        ceiling = self.ceiling(attempt)
        return ceiling * (1 - self.jitter) + ceiling * self.jitter * rand
