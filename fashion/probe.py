"""How long an epoch of a recipe takes on this machine, estimated from a probe batch.

A few training steps of one batch of random images are timed (the pixels do not change the arithmetic),
and so is one evaluation batch; the epoch is extrapolated from them: the steps of one pass over the
training images, plus the evaluations on the 10,000 test images that fall in it. An estimate: the first
steps of a real run, other work on the machine and the data loading move it by some percent.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import torch

from fashion.config import TrainConfig
from fashion.devices import device_of
from fashion.infer import BATCH_SIZE, predict_probs
from fashion.model import build_model
from fashion.train import make_optimizer, train_step, training_input

PROBE_IMAGES = 256        # a larger batch is timed at this size and scaled: per image, the time barely moves
# Steps timed after one untimed one (whose pass allocates what the others reuse): as many as fit in the
# budget, between the two counts. On two shared cores one 30 ms step of `fast` varied from 13 to 60 ms.
MIN_STEPS, MAX_STEPS = 3, 20
BUDGET_S = 1.0
TEST_IMAGES = 10_000


@dataclass(frozen=True)
class Probe:
    step_s: float          # one training step of the recipe's batch size (the median timed step, scaled)
    eval_s: float          # one evaluation on the 10,000 test images
    epoch_s: float         # a whole epoch: its steps and its evaluations
    images: int            # the probe batch actually timed
    steps: int             # training steps timed (and as many evaluation batches, at most)
    threads: int           # torch threads it ran with


def measure(config: TrainConfig, device: torch.device | None = None) -> Probe:
    """Time `config`'s network and settings for a few steps on `device` (default: the CPU); extrapolate an epoch."""
    config.validate()
    generator = torch.Generator().manual_seed(0)
    model = build_model(config.arch, generator, config.spec).to(device or torch.device("cpu"))
    device = device_of(model)
    optimizer, _ = make_optimizer(model, replace(config, schedule="constant"), total_steps=1)
    images = min(config.batch_size, PROBE_IMAGES)
    x = torch.randint(0, 256, (images, 28, 28), dtype=torch.uint8, generator=generator).to(device)
    y = torch.randint(0, 10, (images,), generator=generator).to(device)

    def step() -> None:
        train_step(model, optimizer, training_input(x, config, generator), y, config.label_smoothing, config.bf16)

    steps = timed(step)
    step_s = median(steps) * config.batch_size / images
    eval_s = median(timed(lambda: predict_probs(model, x[:BATCH_SIZE]))) * TEST_IMAGES / min(images, BATCH_SIZE)
    per_epoch = config.steps_per_epoch()
    epoch_s = per_epoch * step_s + per_epoch / config.eval_every * eval_s
    return Probe(step_s, eval_s, epoch_s, images, len(steps), torch.get_num_threads())


def timed(work) -> list[float]:
    """Seconds of each run of `work` after an untimed first: MIN_STEPS to MAX_STEPS of them, within BUDGET_S."""
    work()
    times, began = [], time.perf_counter()
    while len(times) < MIN_STEPS or (len(times) < MAX_STEPS and time.perf_counter() - began < BUDGET_S):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return times


def median(times: list[float]) -> float:
    return sorted(times)[len(times) // 2]
