"""Pacing of Platform API requests by Heroku's rate limit (RateLimit-Remaining, 429)."""

from __future__ import annotations

import random
import threading
import time

# Heroku refills about 75 tokens a minute; below LOW_WATER remaining, requests are spaced out
# towards that refill rate (one per MAX_SPACING seconds when the pool is empty).
LOW_WATER = 300


MAX_SPACING = 0.8


class Pacer:
    """Spaces requests across every thread of a run.

    After a 429 everyone waits out the back-off; as RateLimit-Remaining falls below LOW_WATER,
    requests are spaced further apart (with jitter), towards Heroku's refill rate.
    """

    def __init__(self, *, sleep=time.sleep, clock=time.monotonic, jitter=random.random):
        self.sleep = sleep
        self.clock = clock
        self.jitter = jitter
        self._lock = threading.Lock()
        self._last_at = float("-inf")  # when the latest request was let go
        self._hold_until = float("-inf")  # a 429's back-off
        self._spacing = 0.0
        self.remaining: int | None = None  # the latest RateLimit-Remaining seen

    def wait(self) -> float:
        """Sleep until this thread may send a request; return the delay slept."""
        with self._lock:
            now = self.clock()
            # The spacing is read now, not reserved when the previous request left: so the
            # very next request already obeys the RateLimit-Remaining of the latest answer.
            at = max(self._last_at + self._spacing, self._hold_until, now)
            self._last_at = at
        delay = at - now
        if delay > 0:
            self.sleep(delay)
        return delay

    def ready_at(self) -> float:
        """Return the clock time at which the next request could leave, at the earliest."""
        with self._lock:
            return max(self._last_at + self._spacing, self._hold_until)

    def observe(self, remaining: str | None) -> None:
        """Adjust the spacing of requests to a RateLimit-Remaining header value."""
        try:
            left = int(remaining)
        except (TypeError, ValueError):
            return
        with self._lock:
            self.remaining = left
            if left >= LOW_WATER:
                self._spacing = 0.0
            else:
                share = 1 - max(left, 0) / LOW_WATER
                self._spacing = MAX_SPACING * share * (0.5 + self.jitter() / 2)

    def below(self, reserve: int) -> bool:
        """Return whether the latest RateLimit-Remaining seen is below RESERVE."""
        with self._lock:
            return self.remaining is not None and self.remaining < reserve

    def back_off(self, delay: float) -> None:
        """Hold every thread's next request for DELAY seconds."""
        with self._lock:
            self._hold_until = max(self._hold_until, self.clock() + delay)
