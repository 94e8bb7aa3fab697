"""The settings, free of PyTorch: the architectures' sizes and TrainConfig with its bounds.

Kept apart from model.py and train.py so that the app can draw its training controls before the
two-second import of torch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Architecture:
    """A named size of the family: channel widths of the three stages and residual blocks in each."""
    widths: tuple[int, int, int]
    residual_blocks: tuple[int, int, int] = (0, 0, 0)
    stem: int = 0                   # channels of one more conv at the full 28x28, before the stages (0: none)
    description: str = ""


ARCHITECTURES = {
    # ~30k parameters: passes 90% in about 10 s on two CPU cores (the live default; wider ones
    # learn no faster per image, see fashion/bench.py, so they only cost time).
    "fast": Architecture((16, 32, 64), description="3 conv layers, 16-32-64 channels"),
    # ~100k parameters: a little slower, a little more accurate.
    "medium": Architecture((32, 64, 128), description="3 conv layers, 32-64-128 channels"),
    # ~1.06M parameters: too slow to enjoy watching on a CPU.
    "resnet": Architecture((48, 96, 192), (0, 1, 1), description="ResNet-style, 48-96-192 channels, 7 conv layers"),
    # ~1.10M parameters: a residual block at 14x14 too, 1.25x the time of "resnet". Same 40-epoch recipe:
    # 94.91% against 94.62% (in 29 min on two idle cores), but too slow to predict with mirror averaging.
    "resnet9": Architecture((48, 96, 192), (1, 1, 1), description="ResNet-style, 48-96-192 channels, 9 conv layers"),
    # ~0.49M parameters: "resnet9" at two thirds the width, half its time per epoch and per prediction.
    "resnet9-slim": Architecture((32, 64, 128), (1, 1, 1),
                                 description="ResNet-style, 32-64-128 channels, 9 conv layers"),
    # ~0.50M parameters: "resnet9-slim" with a 16-channel conv at 28x28 first, so the first stage
    # widens from 16 shapes, not from raw pixels, before it halves the resolution. 1.2x the time of
    # "resnet9-slim", and +0.3 points (two GPU seeds). The shipped model is two of these averaged.
    "resnet10-slim": Architecture((32, 64, 128), (1, 1, 1), stem=16,
                                  description="ResNet-style, 16-32-64-128 channels, 10 conv layers"),
}
DEFAULT_ARCH = "fast"


OPTIMIZERS = ("sgd", "adamw")
SCHEDULES = ("onecycle", "cosine", "constant")


@dataclass
class TrainConfig:
    arch: str = DEFAULT_ARCH        # a name from ARCHITECTURES above
    epochs: int = 2                 # passes over the 60,000 training images
    batch_size: int = 256           # large enough for two cores to stay busy, small enough to learn fast
    lr: float = 0.4                 # peak learning rate (one-cycle warms up to it, then anneals)
    optimizer: str = "sgd"          # "sgd" (Nesterov momentum 0.9) or "adamw"
    schedule: str = "onecycle"      # "onecycle", "cosine" or "constant"
    augment: bool = False           # random mirror, shift, erasing: helps long runs, slows short ones
    erase: float = 0.5              # with augment: share of images with one random rectangle blacked out
    label_smoothing: float = 0.1    # softer targets: better calibrated, slightly more accurate
    weight_decay: float = 5e-4
    seed: int = 0                   # same seed, same config, same thread count: same model
    eval_every: int = 100           # steps between evaluations on the 10,000 test images
    max_steps: int = 0              # stop after this many steps (0: no cap); for quick checks
    bf16: bool = True               # bfloat16 autocast for training where the CPU has native bf16

    def validate(self) -> "TrainConfig":
        """Raise ValueError with a readable sentence if any setting is out of bounds."""
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"Unknown architecture {self.arch!r}; choose one of {', '.join(ARCHITECTURES)}.")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}.")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"Unknown schedule {self.schedule!r}; choose one of {', '.join(SCHEDULES)}.")
        for name, (low, high) in BOUNDS.items():
            value = getattr(self, name)
            if not (low <= value <= high) or (isinstance(value, float) and math.isnan(value)):
                raise ValueError(f"{name} must be between {low} and {high}, not {value}.")
        return self

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


# Bounds on every numeric setting, enforced here so that no caller (widget, CLI, file) can skip them.
BOUNDS = {
    "epochs": (1, 100),
    "batch_size": (8, 2048),
    "lr": (1e-5, 2.0),
    "erase": (0.0, 1.0),
    "label_smoothing": (0.0, 0.5),
    "weight_decay": (0.0, 0.1),
    "seed": (0, 2**31 - 1),
    "eval_every": (1, 100_000),
    "max_steps": (0, 10_000_000),
}
