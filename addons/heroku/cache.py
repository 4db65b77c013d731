"""Stored Platform API responses, for conditional requests (ETag, If-None-Match, 304)."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class StoredResponse:
    """A response kept for conditional requests: its ETag, raw body and paging header."""

    etag: str
    body: str
    status: int = 200
    next_range: str = ""


class ResponseCache:
    """The stored responses of one resource, keyed by endpoint (path and Range).

    Reads come from what the caller loaded; what changed is collected in `changed` for the caller
    to store. `unused()` names the stored endpoints this fetch no longer asked for.
    """

    def __init__(self, stored: dict[str, StoredResponse] | None = None):
        self.stored = dict(stored or {})
        self.changed: dict[str, StoredResponse] = {}
        self.used: set[str] = set()
        self._lock = threading.Lock()

    def get(self, endpoint: str) -> StoredResponse | None:
        with self._lock:
            self.used.add(endpoint)
            return self.stored.get(endpoint)

    def put(self, endpoint: str, response: StoredResponse) -> None:
        with self._lock:
            self.used.add(endpoint)
            if self.stored.get(endpoint) != response:
                self.changed[endpoint] = response

    def unused(self) -> set[str]:
        return set(self.stored) - self.used

    def unchanged(self) -> bool:
        """Return whether every endpoint asked for answered 304 and none stored was left out."""
        return bool(self.used) and not self.changed and self.used == set(self.stored)
