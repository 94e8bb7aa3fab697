"""What the training loop yields: a step, an evaluation, and the end of a run.

Free of PyTorch at import (types only), so code that merely reads progress, like the app's job queue,
loads without it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import nn

    from fashion.evaluate import Report
    from fashion.live import LiveView


@dataclass
class StepEvent:
    step: int
    total_steps: int
    epoch: int
    loss: float
    train_accuracy: float           # running accuracy on this epoch's (augmented) training batches
    lr: float
    images_per_s: float             # training throughput, evaluations excluded
    elapsed_s: float
    eta_s: float


@dataclass
class EvalEvent:
    step: int
    epoch: int
    elapsed_s: float
    report: Report
    live: LiveView | None = None    # the live strip's answers and filters, when training was given its images


@dataclass
class DoneEvent:
    model: nn.Module
    stopped: bool                   # True if the stop flag ended the run early
    step: int
    elapsed_s: float
    report: Report                  # on the test set, for the model as it ended
    device: str = "cpu"             # where it trained, in words (fashion.devices.describe)


@dataclass
class SweepDone:
    """The end of a learning-rate sweep (fashion.lr_finder): each rate tried, and the loss there, smoothed."""
    lrs: list[float]
    losses: list[float]
    suggested: float | None          # None when the loss never fell (every rate too high, or too few steps)
    stopped: bool = False            # the stop flag ended it early


Event = StepEvent | EvalEvent | DoneEvent | SweepDone
