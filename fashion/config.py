"""The settings, free of PyTorch: the architectures' sizes and TrainConfig, each field described once.

Each TrainConfig field carries its label, help sentence, bounds or choices, and the values a slider
suggests; the CLI's options, the app's controls and validate() are all made from that description, read
through settings() and setting_of(). A custom architecture's design is a CustomSpec (fashion/spec.py), which
a TrainConfig carries as `spec`. Kept apart from model.py and train.py so that the app can draw its
training controls before the two-second import of torch.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fashion.spec import CustomSpec


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
CUSTOM = "custom"               # the architecture a CustomSpec describes (fashion/spec.py): the builder's
TRAIN_IMAGES = 60_000           # Fashion-MNIST's training set
LR_SWEEP_STEPS = 100            # the learning-rate finder's batches: 4 s of the live recipe on two cores


OPTIMIZERS = ("sgd", "adamw")
SCHEDULES = ("onecycle", "cosine", "constant")


@dataclass(frozen=True)
class Setting:
    """One TrainConfig field as the CLI and the app present it, read from the field's metadata."""
    name: str
    default: Any
    label: str                                  # a few words, for a widget
    help: str                                   # one sentence, for --help and the widget's tooltip
    bounds: tuple[float, float] | None = None   # lowest and highest allowed, both included (numbers)
    choices: tuple[str, ...] | None = None      # the only values allowed (names)
    presets: tuple[float, ...] | None = None    # values a slider offers; others within bounds are allowed too

    def check(self, value) -> None:
        """Raise ValueError with a readable sentence if value is not allowed."""
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"Unknown {self.label.lower()} {value!r}; choose one of "
                             f"{', '.join(map(str, self.choices))}.")
        if self.bounds is not None:
            low, high = self.bounds
            if not low <= value <= high:          # NaN fails both comparisons, so it is refused too
                raise ValueError(f"{self.name} must be between {low} and {high}, not {value}.")


def setting(default, label: str, help: str, *, bounds=None, choices=None, presets=None):
    """A dataclass field that carries its description, so that it is written once, beside its default."""
    return field(default=default, metadata={"label": label, "help": help, "bounds": bounds, "choices": choices,
                                            "presets": presets})


@dataclass
class TrainConfig:
    """How to train one model. The defaults are the fast live recipe: past 90% in seconds on two cores."""
    arch: str = setting(DEFAULT_ARCH, "Architecture", "The network's size: the small ones learn in seconds, "
                        "the ResNets are more accurate but slow on a CPU; custom is your own design.",
                        choices=(*ARCHITECTURES, CUSTOM))
    epochs: int = setting(2, "Epochs", "Passes over the 60,000 training images.", bounds=(1, 100))
    # 256: large enough for two cores to stay busy, small enough to learn fast.
    batch_size: int = setting(256, "Batch size", "Images per training step.", bounds=(8, 2048),
                              presets=(32, 64, 128, 256, 512, 1024))
    lr: float = setting(0.4, "Learning rate (peak)", "Peak learning rate: one-cycle warms up to it, then anneals.",
                        bounds=(1e-5, 2.0),
                        presets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0))
    optimizer: str = setting("sgd", "Optimizer", "SGD with Nesterov momentum 0.9, or AdamW "
                             "(try a learning rate near 0.002).", choices=OPTIMIZERS)
    schedule: str = setting("onecycle", "Schedule", "Learning-rate schedule: onecycle, cosine or constant.",
                            choices=SCHEDULES)
    # Off: augmentation helps long runs and slows short ones, like the default two epochs.
    augment: bool = setting(False, "Augmentation", "Random mirror, shift and erasing of the training images: "
                            "slower to learn, better at the end.")
    erase: float = setting(0.5, "Erasing", "With augmentation, the share of images with one random rectangle "
                           "blacked out.", bounds=(0.0, 1.0))
    # 0.1: softer targets make the model better calibrated and slightly more accurate.
    label_smoothing: float = setting(0.1, "Label smoothing", "Share of the target spread over the other classes.",
                                     bounds=(0.0, 0.5))
    weight_decay: float = setting(5e-4, "Weight decay", "L2 penalty on the weights.", bounds=(0.0, 0.1))
    seed: int = setting(0, "Seed", "Same seed, same settings and same thread count: same model.",
                        bounds=(0, 2**31 - 1))
    eval_every: int = setting(100, "Evaluate every", "Steps between evaluations on the 10,000 test images.",
                              bounds=(1, 100_000))
    max_steps: int = setting(0, "Step cap", "Stop after this many steps (0: no cap); for quick checks.",
                             bounds=(0, 10_000_000))
    bf16: bool = setting(True, "bfloat16", "bfloat16 autocast for training where the device runs it natively "
                         "(CPUs with AVX512-BF16 or AMX, recent GPUs).")
    # The design when arch is "custom", else None. Not a setting of its own (no label): the builder and
    # `train --spec FILE` give it, and validate() checks it against its bounds.
    spec: CustomSpec | None = None

    def validate(self) -> TrainConfig:
        """Raise ValueError with a readable sentence if any setting is out of bounds.

        Checked here, not in the front ends, so that no caller (widget, CLI, file) can skip it.
        """
        for s in settings():
            s.check(getattr(self, s.name))
        if self.arch == CUSTOM and self.spec is None:
            raise ValueError("The custom architecture needs its design (a spec): build one in the Train tab, "
                             "or give train --spec FILE.")
        if self.spec is not None:
            from fashion.spec import CustomSpec  # spec.py builds on this module's Setting: imported here

            if self.arch != CUSTOM:
                raise ValueError(f"A spec describes a custom architecture; it cannot go with {self.arch!r}.")
            if not isinstance(self.spec, CustomSpec):
                raise ValueError("A spec must be a CustomSpec (CustomSpec.from_dict reads one from values).")
            self.spec.validate()
        return self

    def steps_per_epoch(self, train_images: int = TRAIN_IMAGES) -> int:
        """Optimizer steps in one pass over the training images (a last, partial batch is dropped)."""
        return train_images // self.batch_size

    def in_epochs(self, steps: list[int]) -> list[float]:
        """Steps as (fractional) epochs: the x axis of every training curve."""
        per_epoch = self.steps_per_epoch()
        return [step / per_epoch for step in steps]

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        from fashion.spec import CustomSpec

        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in values.items() if k in known}
        if values.get("spec") is not None and not isinstance(values["spec"], CustomSpec):
            values["spec"] = CustomSpec.from_dict(values["spec"])     # as asdict() and JSON leave it: a dict
        return cls(**values)


def settings() -> tuple[Setting, ...]:
    """Every TrainConfig setting with its description, in the dataclass's order (the spec is not one)."""
    return tuple(Setting(f.name, f.default, **f.metadata) for f in fields(TrainConfig) if "label" in f.metadata)


def setting_of(name: str) -> Setting:
    """The description of one TrainConfig field, by its name."""
    return next(s for s in settings() if s.name == name)
