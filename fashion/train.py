"""The training engine: one loop that trains a model from a TrainConfig and yields progress events.

The CLI prints the events, the app draws them, the tests check them. A `threading.Event` passed as
`stop` ends the run cleanly between two batches; `controls` (fashion.controls) pause it and scale its
learning rate there. A run may start from another's weights (`start_from`): continued training. The
model and the dataset live on one device (fashion/devices.py); the random draws stay on the CPU's
generator, so a seed means the same run there.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import torch
from torch import nn

from fashion.config import TrainConfig
from fashion.controls import Controls
from fashion.data import FashionMNIST, augment, batches, to_float
from fashion.devices import autocast, choose, describe
from fashion.evaluate import Report, evaluate
from fashion.events import DoneEvent, EvalEvent, Event, StepEvent
from fashion.live import live_view
from fashion.model import build_model


def make_optimizer(model: nn.Module, config: TrainConfig, total_steps: int):
    if config.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=0.9, nesterov=True,
                              weight_decay=config.weight_decay)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    if config.schedule == "onecycle" and total_steps >= 8:   # shorter runs have no room to warm up
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, config.lr, total_steps=total_steps, pct_start=0.25)
    elif config.schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, total_steps)
    else:
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0)
    return opt, sched


def training_input(images: torch.Tensor, config: TrainConfig, generator: torch.Generator) -> torch.Tensor:
    """A uint8 batch as the model trains on it: float, augmented if the config says so, channels-last."""
    x = to_float(images)
    if config.augment:
        x = augment(x, generator, erase=config.erase)
    return x.contiguous(memory_format=torch.channels_last)


def train_step(model, optimizer, x, y, label_smoothing: float, bf16: bool = False) -> tuple[float, int]:
    # bf16 convolutions are ~1.5x faster on CPUs that have it; weights, loss and optimizer stay float32.
    with autocast(x.device, wanted=bf16):
        logits = model(x)
    logits = logits.float()
    loss = nn.functional.cross_entropy(logits, y, label_smoothing=label_smoothing)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.item(), (logits.argmax(1) == y).sum().item()


def scaled_lr(optimizer, scale: float):
    """Set the optimizer's learning rates to the scheduler's times `scale` for one step; returns the
    scheduler's own, to put back before it steps (schedulers like cosine build on the last value)."""
    own = [group["lr"] for group in optimizer.param_groups]
    for group in optimizer.param_groups:
        group["lr"] *= scale
    return own


def train(config: TrainConfig, data: FashionMNIST, stop: threading.Event | None = None,
          device: torch.device | None = None, probes: torch.Tensor | None = None,
          controls: Controls | None = None, start_from: dict | None = None) -> Iterator[Event]:
    """Train a model on `device` (default: fashion.devices.choose()), new or from the weights `start_from`
    (a state dict); yield a StepEvent per batch, an EvalEvent every `eval_every` steps (with the model's
    answers on `probes`, float (N, 1, 28, 28) images, if given: fashion.live), then a DoneEvent."""
    config.validate()
    device = device or choose()
    data = data.to(device)          # once per run, and not at all where the caller moved it already
    generator = torch.Generator().manual_seed(config.seed)
    model = build_model(config.arch, generator, config.spec)
    if start_from is not None:
        model.load_state_dict(start_from)
    model = model.to(device)
    controls = controls or Controls.local()
    total = config.steps_per_epoch(len(data.train_images)) * config.epochs
    total = min(total, config.max_steps) if config.max_steps else total
    optimizer, scheduler = make_optimizer(model, config, total)

    def test_report() -> Report:
        return evaluate(model, data.test_images, data.test_labels)

    start, train_time, step, stopped = time.perf_counter(), 0.0, 0, False
    report, evaluated_at = None, -1
    for epoch in range(1, config.epochs + 1):
        seen = correct = 0
        for images, labels in batches(data.train_images, data.train_labels, config.batch_size, generator):
            start += controls.wait_while_paused(stop)       # a pause counts in no time or ETA
            if step >= total or (stop is not None and stop.is_set()):
                stopped = step < total
                break
            t0 = time.perf_counter()
            x = training_input(images, config, generator)
            own_lr = scaled_lr(optimizer, controls.lr_scale.value)
            lr = optimizer.param_groups[0]["lr"]
            loss, batch_correct = train_step(model, optimizer, x, labels, config.label_smoothing, config.bf16)
            for group, value in zip(optimizer.param_groups, own_lr, strict=True):
                group["lr"] = value
            scheduler.step()
            step, seen, correct = step + 1, seen + len(labels), correct + batch_correct
            train_time += time.perf_counter() - t0
            elapsed = time.perf_counter() - start
            yield StepEvent(step, total, epoch, loss, correct / seen, lr, step * config.batch_size / train_time,
                            elapsed, elapsed / step * (total - step))
            if step % config.eval_every == 0 or step == total:
                report, evaluated_at = test_report(), step
                live = live_view(model, probes) if probes is not None else None
                yield EvalEvent(step, epoch, time.perf_counter() - start, report, live)
        if step >= total or stopped:
            break
    if evaluated_at != step:   # stopped between evaluations: score the model as it is now
        report = test_report()
    model.eval()
    yield DoneEvent(model, stopped, step, time.perf_counter() - start, report, describe(device))
