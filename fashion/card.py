"""A model's card: what a saved model is and how it was made, kept in its file's header.

`new_card` builds one for a freshly trained model (the CLI's `train` and `join`, the app's Train tab);
`from_header` reads one back from a file with every field's type checked, since a file's header is
as untrusted as its tensors. Fields this version does not know are kept as they were, in `extra`.
"""
from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import torch

from fashion.classes import CLASS_NAMES, NUM_CLASSES
from fashion.config import TrainConfig
from fashion.devices import describe, device_of
from fashion.model import Model, count_params, member_count
from fashion.spec import CustomSpec

if TYPE_CHECKING:
    from fashion.evaluate import Report


class CardError(ValueError):
    """A header field that is missing or of the wrong kind; the message says which, in a sentence."""


@dataclass
class ModelCard:
    arch: str                               # a name from fashion.config.ARCHITECTURES, or "custom"
    members: int = 1                        # networks averaged (an ensemble when more than one)
    params: int = 0                         # counted from the tensors, never read from the header
    mirror: bool = True                     # average each prediction of a batch with its mirror image's
    config: TrainConfig | None = None       # the recipe it was trained with (None: not saved by us)
    test_accuracy: float | None = None      # on the 10,000 test images, as it was used (mirror or not)
    per_class: list[float] | None = None    # accuracy on each true class, in class order
    training_time_s: float | None = None    # training alone, all members together
    steps: int | None = None                # optimizer steps, all members together
    machine: str | None = None              # where it was trained: CPU, cores, torch, device
    created: str | None = None              # local time it was saved, "YYYY-MM-DD HH:MM:SS"
    class_names: tuple[str, ...] = CLASS_NAMES
    spec: CustomSpec | None = None          # a custom architecture's design (what the file is built from)
    extra: dict = field(default_factory=dict)   # header fields this version does not know

    def header(self) -> dict[str, str]:
        """The card as safetensors metadata: each field a JSON string; empty fields left out."""
        values = {**asdict(self), "config": asdict(self.config) if self.config else None,
                  "class_names": list(self.class_names), **self.extra}
        values.pop("extra")
        return {key: json.dumps(value) for key, value in values.items() if value is not None}


def machine(device: str) -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, {device}"


def new_card(model: Model, config: TrainConfig, report: Report, mirror: bool, training_time_s: float,
             steps: int, device: str | None = None) -> ModelCard:
    """The card of a model just trained with `config` on `device` (in words; default: where the model is)
    and scored on the test set (`report`)."""
    return ModelCard(
        arch=model.arch, spec=model.spec, members=member_count(model), params=count_params(model), mirror=mirror,
        config=config,
        test_accuracy=report.accuracy, per_class=report.per_class, training_time_s=round(training_time_s, 1),
        steps=steps, machine=machine(device or describe(device_of(model))), created=time.strftime("%Y-%m-%d %H:%M:%S"),
    )


def from_header(header: dict, model: Model) -> ModelCard:
    """The card a file's header describes, for the `model` built from it; CardError says what is wrong."""
    known = {name for name in ModelCard.__dataclass_fields__ if name != "extra"}
    card = ModelCard(
        arch=model.arch, spec=model.spec, members=member_count(model), params=count_params(model),   # as built
        mirror=checked(header, "mirror", bool, wanted="true or false", default=True),
        config=read_config(header.get("config")),
        test_accuracy=checked(header, "test_accuracy", float, is_share, "a number from 0 to 1"),
        per_class=checked(header, "per_class", list, is_per_class, f"{NUM_CLASSES} numbers from 0 to 1"),
        training_time_s=checked(header, "training_time_s", float, lambda s: s >= 0, "a number of seconds"),
        steps=checked(header, "steps", int, lambda s: s >= 0, "a whole number"),
        machine=checked(header, "machine", str, wanted="text"), created=checked(header, "created", str, wanted="text"),
        extra={key: value for key, value in header.items() if key not in known},
    )
    if header.get("class_names", list(CLASS_NAMES)) != list(CLASS_NAMES):
        raise CardError("This model file was trained for other classes than Fashion-MNIST's ten.")
    return card


def checked(header: dict, name: str, kind: type, ok=lambda value: True, wanted: str = "", default=None):
    """header[name] if it is of `kind` and passes `ok`, else CardError; `default` where it is missing."""
    value = header.get(name)
    if value is None:
        return default
    is_kind = is_number(value) if kind is float else (
        isinstance(value, kind) and not (kind is int and isinstance(value, bool)))
    if not is_kind or not ok(value):
        raise CardError(f"This model file's card gives a {name!r} that is not {wanted or kind.__name__}.")
    return float(value) if kind is float else value


def is_number(value) -> bool:
    """An int or a float from the JSON header; True and False are not numbers here."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_share(value: float) -> bool:
    return 0 <= value <= 1


def is_per_class(values: list) -> bool:
    return len(values) == NUM_CLASSES and all(is_number(v) and is_share(v) for v in values)


def read_config(values) -> TrainConfig | None:
    """The training settings a card gives, checked against the same bounds as any other settings."""
    if values is None:
        return None
    if not isinstance(values, dict):
        raise CardError("This model file's card gives training settings ('config') that are not a set of named values.")
    try:
        return TrainConfig.from_dict(values).validate()
    except (TypeError, ValueError) as e:
        raise CardError(f"This model file's training settings ('config') are not valid: {e}") from None
