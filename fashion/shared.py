"""A value that every user of one process shares, built once under a lock and only read after.

The app's dataset, shipped model and that model's test predictions are such values: the first caller
(the server's warm-up thread, as a rule) builds one while later callers wait for it, and anyone can ask
whether it is ready without waiting, so a page can say "a moment" instead of stalling.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class Abandoned(Exception):
    """Raised by a build that gives up on purpose (the process is exiting): not logged as a failure."""


class Shared(Generic[T]):
    def __init__(self, build: Callable[[], T]):
        self._build = build
        self._lock = threading.Lock()
        self._built = False
        self._value: T | None = None
        self.progress = 0.0             # for a long build that reports it (0 to 1), to show while it runs
        self._asked = False             # a build in the background was asked for, and has not failed

    def __call__(self) -> T:
        """The value, built by the first caller. A build that fails raises to its caller and keeps nothing, so
        the next call tries again (say, once the missing data has been installed)."""
        if not self._built:
            with self._lock:
                if not self._built:
                    self._value = self._build()
                    self._built = True
        return self._value

    def build_in_background(self) -> None:
        """Start building it in a thread of its own, unless it is built or being built; a failure is logged."""
        self._asked = True
        if not self._built and not self._lock.locked():
            threading.Thread(target=self._build_logged, name=f"building {self!r}", daemon=True).start()

    def _build_logged(self) -> None:
        try:
            self()
        except Abandoned:
            self._asked = False
        except Exception:
            self._asked = False
            log.warning("%r could not be built", self, exc_info=True)

    def __repr__(self) -> str:
        return f"Shared({self._build.__name__})"

    @property
    def ready(self) -> bool:
        return self._built

    @property
    def building(self) -> bool:
        """Being built in the background now (build_in_background was called), not yet ready."""
        return self._asked and not self._built

    def clear(self) -> None:
        """Forget the value (tests that change what it is built from)."""
        with self._lock:
            self._built, self._value, self.progress, self._asked = False, None, 0.0, False
