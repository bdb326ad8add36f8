"""A small shared cache for the services' per-process caches (dashboard, class council): every entry is
keyed by what it was computed from (versions read from the database), so no entry can be stale."""

from __future__ import annotations

import threading
from collections import OrderedDict

MISSING = object()


class LeastRecentlyUsed:
    """A small thread-safe map that forgets its least recently used entries beyond size. Values are
    immutable (frozen dataclasses, tuples, strings): every session may share them."""

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._entries.get(key, MISSING)
            if value is not MISSING:
                self._entries.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
