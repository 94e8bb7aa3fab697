"""A custom CNN's design: a small, bounded spec, and what it makes, worked out without PyTorch.

`CustomSpec` is the design the Train tab's builder and `train --spec FILE` describe: up to four conv blocks,
each halving the map, then a head. `layers` walks it layer by layer (output shape, parameters,
multiply-adds) by arithmetic alone, so the builder draws its table before torch has loaded; fashion.model
builds the same network (tests/test_spec.py checks every count against the built model). `validate`
refuses a design out of bounds, or too large to train here, with a sentence, before anything is built.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

from fashion.classes import IMAGE_SIZE, NUM_CLASSES
from fashion.config import CUSTOM, Setting, setting

MAX_PARAMS = 1_500_000      # the largest named architecture has 1.10M
# Multiply-adds of one image's forward pass: 2.5x those of resnet9 (39M), the largest named architecture.
MAX_MACS = 100_000_000
# Features handed to the last layer (what the nearest-images index and the embedding map are made of):
# their PCA works on a features x features matrix, so 4,096 at most (the named ones: 576 to 1,728).
MAX_FEATURES = 4096
MAX_BLOCKS = 4              # each block halves the map: 28, 14, 7, 3, 1; a fifth would leave nothing
INPUT_SHAPE = (1, IMAGE_SIZE, IMAGE_SIZE)
POOLS = {"max": "2×2 max-pool", "avg": "2×2 average pool", "stride": "stride-2 convolution"}
HEADS = {"flatten": "flatten → linear", "gap": "global average pool → linear",
         "hidden": "flatten → hidden layer → linear"}


@dataclass(frozen=True)
class CustomSpec:
    """A custom network. The defaults are the `fast` preset's design: change one thing, see what it does."""
    # One number per block: its convolution's output channels; as many blocks as numbers.
    channels: tuple[int, ...] = setting((16, 32, 64), "Channels", "Output channels of each block's convolution: "
                                        "more see more patterns, and cost time.", bounds=(4, 256),
                                        presets=(4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256))
    kernel: int = setting(3, "Kernel size", "Each convolution looks at a square this wide: 5x5 sees more of the "
                          "image at once, for almost 3x the cost.", choices=(3, 5))
    pool: str = setting("max", "Pooling", "How each block halves the map: max-pool keeps the strongest "
                        "response, average pool the mean, a stride-2 convolution learns its own way.",
                        choices=tuple(POOLS))
    batch_norm: bool = setting(True, "Batch norm", "Normalise each convolution's output: it makes high learning "
                               "rates safe.")
    residual: bool = setting(False, "Residual", "After each block's convolution, two more at the same size with "
                             "a skip connection around them: deeper, and still fast to train.")
    head: str = setting("flatten", "Head", "How the last map becomes ten scores: flattened (where a shape "
                        "sits counts), averaged over the map, or flattened through a hidden layer.",
                        choices=tuple(HEADS))
    hidden: int = setting(128, "Hidden units", "Width of the head's hidden layer (for the hidden-layer head).",
                          bounds=(16, 1024), presets=(16, 32, 64, 128, 256, 512, 1024))
    # 0: the presets use none; dropout helps long runs more than short ones.
    dropout: float = setting(0.0, "Dropout", "Share of the features zeroed at random before the last layer, "
                             "while training.", bounds=(0.0, 0.8))

    @property
    def blocks(self) -> int:
        return len(self.channels)

    def validate(self) -> CustomSpec:
        """Raise ValueError with a readable sentence if the design is out of bounds or too large."""
        check_fields(self)
        params, macs = totals(self)
        features = layers(self)[-2].shape[0]      # the row before the last linear layer
        if params > MAX_PARAMS:
            raise ValueError(f"This design has {params:,} parameters, more than the {MAX_PARAMS:,} allowed: "
                             "use fewer channels, a smaller hidden layer or global average pooling.")
        if macs > MAX_MACS:
            raise ValueError(f"This design takes {macs / 1e6:,.0f} million multiply-adds per image, more than the "
                             f"{MAX_MACS / 1e6:,.0f} million allowed (training it would take too long here): "
                             "use fewer channels, 3x3 kernels or no residual blocks.")
        if features > MAX_FEATURES:
            raise ValueError(f"This design hands {features:,} features to its last layer, more than the "
                             f"{MAX_FEATURES:,} allowed: add a block, use fewer channels in the last one, or choose "
                             "global average pooling or a hidden layer.")
        return self

    @classmethod
    def from_dict(cls, values) -> CustomSpec:
        """A spec from JSON-like values (a file, a model card), each checked for its kind, then validated;
        missing fields take their defaults, unknown ones are refused (a typo would build another network)."""
        if not isinstance(values, dict):
            raise ValueError("A spec is a set of named values, such as {\"channels\": [16, 32, 64], \"kernel\": 3}.")
        described = {s.name: s for s in spec_settings()}
        if unknown := sorted(set(values) - set(described)):
            raise ValueError(f"A spec has no {', '.join(map(repr, unknown))}; it knows {', '.join(described)}.")
        return cls(**{name: of_kind(described[name], value) for name, value in values.items()}).validate()

    def name(self) -> str:
        """A short name for a run's row: the channels, then whatever differs from the defaults."""
        default = CustomSpec()
        marks = [f"{self.kernel}x{self.kernel}" if self.kernel != default.kernel else "",
                 {"avg": "avg-pool", "stride": "strided"}.get(self.pool, ""),
                 "no BN" if not self.batch_norm else "", "residual" if self.residual else "",
                 {"gap": "GAP", "hidden": f"hidden {self.hidden}"}.get(self.head, ""),
                 f"dropout {self.dropout:g}" if self.dropout else ""]
        return " ".join([CUSTOM, "-".join(map(str, self.channels)), *filter(None, marks)])

    def summary(self) -> str:
        """The design in words, for a caption."""
        head = HEADS[self.head].replace("hidden layer", f"hidden layer of {self.hidden}")
        pool = "stride 2" if self.pool == "stride" else POOLS[self.pool]
        return (f"{self.blocks} block{'s' if self.blocks > 1 else ''} ({'-'.join(map(str, self.channels))} channels), "
                f"{self.kernel}×{self.kernel} convolutions, {pool}, "
                f"{'batch norm' if self.batch_norm else 'no batch norm'}{', residual' if self.residual else ''}; "
                f"head: {head}" + (f", dropout {self.dropout:g}" if self.dropout else ""))


def block_words(kernel: int, pool: str, batch_norm: bool) -> str:
    """What one block does, in words: "3×3 convolution, 2×2 max-pool, batch norm, ReLU"."""
    conv = f"{kernel}×{kernel} convolution" + (" with stride 2" if pool == "stride" else f", {POOLS[pool]}")
    return conv + (", batch norm, ReLU" if batch_norm else ", ReLU")


def spec_settings() -> tuple[Setting, ...]:
    """Every CustomSpec field with its description, in the dataclass's order."""
    return tuple(Setting(f.name, f.default, **f.metadata) for f in fields(CustomSpec))


def spec_setting(name: str) -> Setting:
    return next(s for s in spec_settings() if s.name == name)


def check_fields(spec: CustomSpec) -> None:
    """Each field within its bounds or choices (the sizes are validate's)."""
    if not 1 <= spec.blocks <= MAX_BLOCKS:
        raise ValueError(f"A design has 1 to {MAX_BLOCKS} blocks (one channel count each), not {spec.blocks}: "
                         f"each block halves the 28×28 map, and a fifth would leave nothing of it.")
    for s in spec_settings():
        for value in getattr(spec, s.name) if s.name == "channels" else [getattr(spec, s.name)]:
            try:
                s.check(value)
            except ValueError as e:           # "channels must be ...": a sentence begins with a capital
                raise ValueError(str(e)[0].upper() + str(e)[1:]) from None


def of_kind(described: Setting, value):
    """`value` as the kind of its field's default (channels: whole numbers), else ValueError."""
    kind = type(described.default)
    if kind is tuple:
        if not isinstance(value, (list, tuple)) or not all(is_int(c) for c in value):
            raise ValueError(f"A spec's channels are a list of whole numbers, one per block, not {value!r}.")
        return tuple(value)
    ok = isinstance(value, bool) if kind is bool else is_int(value) if kind is int else (
        is_int(value) or isinstance(value, float)) if kind is float else isinstance(value, kind)
    if not ok:
        raise ValueError(f"A spec's {described.name} must be {KINDS[kind]}, not {value!r}.")
    return kind(value)


KINDS = {bool: "true or false", int: "a whole number", float: "a number", str: "a name"}


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Layer:
    """One row of the builder's table."""
    name: str
    shape: tuple[int, ...]      # the output of one image: (channels, height, width), or (features,)
    params: int                 # learned parameters (batch norm's running statistics are not)
    macs: int                   # multiply-adds of one image (convolutions and linear layers)


def layers(spec: CustomSpec) -> list[Layer]:
    """The network `spec` describes, layer by layer, as fashion.model.CustomCNN builds it."""
    rows = block_layers(spec)
    c, h, w = rows[-1].shape
    features = c if spec.head == "gap" else c * h * w
    rows.append(Layer("Global average pool" if spec.head == "gap" else "Flatten", (features,), 0, 0))
    if spec.head == "hidden":
        rows.append(Layer("Hidden layer: linear, ReLU", (spec.hidden,), features * spec.hidden + spec.hidden,
                          features * spec.hidden))
        features = spec.hidden
    if spec.dropout:
        rows.append(Layer(f"Dropout {spec.dropout:g} (while training)", (features,), 0, 0))
    rows.append(Layer("Linear: the ten class scores", (NUM_CLASSES,), features * NUM_CLASSES + NUM_CLASSES,
                      features * NUM_CLASSES))
    return rows


def block_layers(spec: CustomSpec) -> list[Layer]:
    """The input and the conv blocks' rows: the last one's shape is the map the head takes."""
    check_fields(spec)
    k, bn = spec.kernel, spec.batch_norm
    c, h, w = INPUT_SHAPE
    rows = [Layer("Input", INPUT_SHAPE, 0, 0)]
    after = "batch norm, ReLU" if bn else "ReLU"
    norm = 2 if bn else 0                 # batch norm learns a scale and a shift per channel
    for number, out in enumerate(spec.channels, 1):
        conv = c * out * k * k + (0 if bn else out)      # without batch norm, each convolution has a bias
        if spec.pool == "stride":         # a stride-2 convolution with padding k // 2: ceil(h / 2)
            h, w = (h + 1) // 2, (w + 1) // 2
            rows.append(Layer(f"Block {number}: {k}×{k} convolution with stride 2", (out, h, w), conv,
                              c * out * k * k * h * w))
            rows.append(Layer(f"Block {number}: {after}", (out, h, w), norm * out, 0))
        else:                             # the convolution at full size, then the pool (floor(h / 2))
            rows.append(Layer(f"Block {number}: {k}×{k} convolution", (out, h, w), conv, c * out * k * k * h * w))
            h, w = h // 2, w // 2
            rows.append(Layer(f"Block {number}: {POOLS[spec.pool]}, {after}", (out, h, w), norm * out, 0))
        c = out
        if spec.residual:
            body = 2 * (c * c * k * k + (norm * c if bn else c))
            rows.append(Layer(f"Block {number}: residual, 2 × ({k}×{k} convolution, {after}) + its input",
                              (c, h, w), body, 2 * c * c * k * k * h * w))
    return rows


def totals(spec: CustomSpec) -> tuple[int, int]:
    """Parameters and multiply-adds per image of the whole network."""
    rows = layers(spec)
    return sum(r.params for r in rows), sum(r.macs for r in rows)


def arch_name(arch: str, spec: CustomSpec | dict | None) -> str:
    """An architecture's name for a table or a picker: a named one's, or a custom design's short name."""
    if arch != CUSTOM or spec is None:
        return arch
    try:
        return (spec if isinstance(spec, CustomSpec) else CustomSpec.from_dict(spec)).name()
    except (TypeError, ValueError):       # a damaged record still gets a row
        return arch


def read_spec_file(path: Path) -> CustomSpec:
    """A spec from a JSON file (as `train --spec` takes it), validated; ValueError says what is wrong."""
    try:
        values = json.loads(Path(path).read_text())
    except OSError as e:
        raise ValueError(f"Cannot read the spec file {path}: {e.strerror or e}.") from None
    except ValueError as e:
        raise ValueError(f"The spec file {path} is not JSON ({e}).") from None
    try:
        return CustomSpec.from_dict(values)
    except ValueError as e:
        raise ValueError(f"The spec file {path} is not a valid design: {e}") from None
