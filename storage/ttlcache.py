"""A small per-process cache whose entries live `ttl` seconds and which `clear()` empties
at once: what an API process reuses of rows it read (an access token's state, an
organisation's plan) between the commits that change them. A value read before a clear is
never stored after it (`generation`)."""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")
_instances: weakref.WeakSet[TtlCache] = weakref.WeakSet()


class TtlCache(Generic[V]):
    """Key -> value, each entry for `ttl` seconds; `clear()` on any change."""

    def __init__(
        self, ttl: float, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl, self.max_entries, self._clock = ttl, max_entries, clock
        self._entries: OrderedDict[str, tuple[float, int, V]] = OrderedDict()
        self._generation = 0
        self._lock = threading.Lock()
        _instances.add(self)

    @property
    def generation(self) -> int:
        """Read before the query whose answer is put: an answer read before a clear is
        not stored after it."""
        return self._generation

    def get(self, key: str) -> V | None:
        if self.ttl <= 0:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, generation, value = entry
            if expires < self._clock() or generation != self._generation:
                del self._entries[key]
                return None
            return value

    def put(self, key: str, value: V, generation: int) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if generation != self._generation:
                return
            self._entries[key] = (self._clock() + self.ttl, generation, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def _forked(self) -> None:
        """In a child process: nothing read before the fork is reused (the child has not
        heard the changes announced since), and a lock a parent's thread held is not
        inherited held."""
        self._lock = threading.Lock()
        self._entries = OrderedDict()
        self._generation += 1


def _after_fork_in_child() -> None:
    for cache in list(_instances):
        cache._forked()


os.register_at_fork(after_in_child=_after_fork_in_child)
