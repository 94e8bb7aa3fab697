"""The learning-rate finder: a short sweep that trains a fresh model with a learning rate growing each batch.

Loss against learning rate on a log axis shows three parts: too low (the loss barely moves), right (it
falls fast) and too high (it flattens or climbs). The suggestion is a tenth of the rate at the lowest
smoothed loss (Smith, "Cyclical Learning Rates", 2017; fastai's lr_find): the lowest point is already
at the edge of too high, and a one-cycle schedule peaks there only briefly. It yields a StepEvent per
batch, as training does, so the same progress bars and queues carry it, then a SweepDone.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import torch

from fashion.config import LR_SWEEP_STEPS, TrainConfig, setting_of
from fashion.data import FashionMNIST, batches
from fashion.devices import choose
from fashion.events import StepEvent, SweepDone
from fashion.model import build_model
from fashion.train import make_optimizer, train_step, training_input

DIVERGED = 4.0               # the sweep ends once the smoothed loss is this many times its best
SMOOTHING = 0.9              # the exponential moving average the curve and the suggestion read


def sweep_rates(low: float, high: float, steps: int) -> list[float]:
    """`steps` learning rates from `low` to `high`, evenly spaced on a log axis."""
    ratio = (high / low) ** (1 / max(1, steps - 1))
    return [low * ratio ** i for i in range(steps)]


def suggest(lrs: list[float], losses: list[float]) -> float | None:
    """A tenth of the learning rate at the lowest smoothed loss; None if the loss never fell below its start."""
    if not losses:
        return None
    lowest = min(range(len(losses)), key=losses.__getitem__)
    if losses[lowest] >= losses[0] * 0.95:
        return None
    low, _ = setting_of("lr").bounds
    return max(low, lrs[lowest] / 10)


def endless_batches(data: FashionMNIST, batch_size: int, generator: torch.Generator):
    """Training batches, epoch after epoch: a sweep of large batches can outlast one pass."""
    while True:
        yield from batches(data.train_images, data.train_labels, batch_size, generator)


def find_lr(config: TrainConfig, data: FashionMNIST, stop: threading.Event | None = None,
            device: torch.device | None = None, steps: int = LR_SWEEP_STEPS) -> Iterator[StepEvent | SweepDone]:
    """Sweep the learning rate over its allowed range for `config`'s model, optimizer and batch size."""
    config.validate()
    low, high = setting_of("lr").bounds
    device = device or choose()
    data = data.to(device)
    generator = torch.Generator().manual_seed(config.seed)
    model = build_model(config.arch, generator, config.spec).to(device)
    optimizer, _ = make_optimizer(model, replace(config, schedule="constant"), steps)
    lrs, losses, average, start = [], [], 0.0, time.perf_counter()
    rates = sweep_rates(low, high, steps)
    for step, (lr, (images, labels)) in enumerate(zip(rates, endless_batches(data, config.batch_size, generator),
                                                      strict=False), 1):
        if stop is not None and stop.is_set():
            break
        x = training_input(images, config, generator)
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss, correct = train_step(model, optimizer, x, labels, config.label_smoothing, config.bf16)
        average = SMOOTHING * average + (1 - SMOOTHING) * loss
        lrs.append(lr)
        losses.append(average / (1 - SMOOTHING ** step))
        elapsed = time.perf_counter() - start
        yield StepEvent(step, steps, 1, loss, correct / len(labels), lr, step * config.batch_size / elapsed,
                        elapsed, elapsed / step * (steps - step))
        if not math.isfinite(loss) or losses[-1] > DIVERGED * min(losses):
            break
    yield SweepDone(lrs, losses, suggest(lrs, losses), stopped=stop is not None and stop.is_set())
