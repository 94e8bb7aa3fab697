"""What a person may change in a run while it trains: pause it, and scale its learning rate (x0.5, x2).

The training loop reads a Controls between two batches. The app's job holds one made of threading
primitives; a worker process gets its own, made of multiprocessing ones, which its parent keeps in step
with the job's (fashion.workers).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

PAUSE_POLL_S = 0.05          # how often a paused loop looks whether it may go on
LR_SCALE_BOUNDS = (1 / 64, 64.0)   # six halvings or doublings either way: enough to see both extremes


class Number:
    """A float behind `.value`, as multiprocessing.Value has it, for controls within one process."""

    def __init__(self, value: float):
        self.value = value


@dataclass
class Controls:
    paused: Any            # an Event: set while the person has paused the run
    lr_scale: Any          # a Number or multiprocessing.Value("d"): the scheduler's learning rate times this

    @classmethod
    def local(cls) -> Controls:
        return cls(threading.Event(), Number(1.0))

    @classmethod
    def shared(cls, context) -> Controls:
        """Controls a spawned process can read: made before it starts and handed to it."""
        return cls(context.Event(), context.Value("d", 1.0, lock=False))

    def copy_to(self, other: Controls) -> None:
        if self.paused.is_set() != other.paused.is_set():
            other.paused.set() if self.paused.is_set() else other.paused.clear()
        other.lr_scale.value = self.lr_scale.value

    def reset(self) -> None:
        self.paused.clear()
        self.lr_scale.value = 1.0

    def scale_lr(self, factor: float) -> float:
        """Multiply the learning rate by `factor`, within LR_SCALE_BOUNDS; returns the new scale."""
        low, high = LR_SCALE_BOUNDS
        self.lr_scale.value = min(high, max(low, self.lr_scale.value * factor))
        return self.lr_scale.value

    def wait_while_paused(self, stop: threading.Event | None) -> float:
        """Block while paused (a stop ends the wait); returns the seconds spent waiting."""
        if not self.paused.is_set():
            return 0.0
        start = time.perf_counter()
        while self.paused.is_set() and not (stop is not None and stop.is_set()):
            time.sleep(PAUSE_POLL_S)
        return time.perf_counter() - start
