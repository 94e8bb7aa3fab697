"""The CNN family: small convolutional networks built from a few blocks, in named sizes or a custom design.

Every model takes images in [0, 1] shaped (N, 1, 28, 28), normalises them itself, and returns logits.
"""
from __future__ import annotations

import torch
from torch import nn

from fashion.classes import NUM_CLASSES, PIXEL_MEAN, PIXEL_STD
from fashion.config import ARCHITECTURES, CUSTOM, DEFAULT_ARCH

# MAX_PARAMS is kept with the custom spec's other bounds, and read from here as before.
from fashion.spec import MAX_PARAMS, CustomSpec, block_layers  # noqa: F401

MAX_MEMBERS = 4          # networks in one ensemble: more would be too slow to classify with


class MaxPool2x2(nn.Module):
    """2x2 max-pooling with stride 2 (an odd last row or column is dropped), as nn.MaxPool2d(2)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled():
            return nn.functional.max_pool2d(x, 2)
        # Predicting needs no indices for a backward pass, which max_pool2d computes anyway. The maximum
        # of the four strided views gives the same values: about 4x faster on a channels-last 28x28
        # map, as fast on the smaller ones; a whole batch 1.2-1.3x faster. (Training keeps max_pool2d:
        # the backward of these maximums is far slower than max_pool2d's.)
        x = x[:, :, : x.shape[2] // 2 * 2, : x.shape[3] // 2 * 2]
        return torch.maximum(torch.maximum(x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2]),
                             torch.maximum(x[:, :, 1::2, 0::2], x[:, :, 1::2, 1::2]))


def conv_bn(c_in: int, c_out: int, pool: str | None = None, kernel: int = 3, batch_norm: bool = True) -> nn.Sequential:
    """Convolution, (pool: "max", "avg", or "stride" for a stride-2 convolution,) batch norm, ReLU: the one
    building block. BN makes high learning rates safe; without it the convolution has a bias."""
    # Pooling straight after the convolution (as airbench does) runs BN and ReLU, forward and
    # backward, on a quarter of the pixels: about 1.3x faster training on a CPU, same accuracy.
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel, stride=2 if pool == "stride" else 1, padding=kernel // 2, bias=not batch_norm),
        *([MaxPool2x2()] if pool == "max" else [nn.AvgPool2d(2)] if pool == "avg" else []),
        *([nn.BatchNorm2d(c_out)] if batch_norm else []),
        nn.ReLU(inplace=True),
    )


class Residual(nn.Module):
    """Two conv_bn blocks with a skip connection, so deeper stages still train fast."""

    def __init__(self, channels: int, kernel: int = 3, batch_norm: bool = True):
        super().__init__()
        self.body = nn.Sequential(conv_bn(channels, channels, kernel=kernel, batch_norm=batch_norm),
                                  conv_bn(channels, channels, kernel=kernel, batch_norm=batch_norm))

    def forward(self, x):
        return x + self.body(x)


class Stage(nn.Module):
    """Widen with one conv and halve the resolution, then refine with residual blocks at the new size."""

    def __init__(self, c_in: int, c_out: int, residual_blocks: int, kernel: int = 3, pool: str = "max",
                 batch_norm: bool = True):
        super().__init__()
        self.kernel, self.pool, self.batch_norm = kernel, pool, batch_norm      # for fashion.inside to describe
        self.conv = conv_bn(c_in, c_out, pool, kernel, batch_norm)
        self.blocks = nn.Sequential(*[Residual(c_out, kernel, batch_norm) for _ in range(residual_blocks)])

    def forward(self, x):
        return self.blocks(self.conv(x))


class Normalised(nn.Module):
    """A network that normalises its own [0, 1] input: the pixel statistics as (unsaved) buffers."""

    spec: CustomSpec | None = None      # a custom design's (CustomCNN); None for the named sizes

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor(PIXEL_MEAN), persistent=False)
        self.register_buffer("std", torch.tensor(PIXEL_STD), persistent=False)


class FashionCNN(Normalised):
    """(An optional conv at full resolution,) three stages that take 28x28 down to 3x3, then one linear layer."""

    def __init__(self, arch: str = DEFAULT_ARCH):
        super().__init__()
        spec = ARCHITECTURES[arch]
        w1, w2, w3 = spec.widths
        self.arch = arch
        stem = [conv_bn(1, spec.stem)] if spec.stem else []
        self.features = nn.Sequential(
            *stem,
            Stage(spec.stem or 1, w1, spec.residual_blocks[0]),
            Stage(w1, w2, spec.residual_blocks[1]),
            Stage(w2, w3, spec.residual_blocks[2]),
        )
        # Flatten the 3x3 map rather than pool it away: where a shape sits (a sleeve, a heel) matters.
        self.head = nn.Linear(w3 * 9, NUM_CLASSES)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Features before the classifier (used by the unfamiliar-item score)."""
        return self.features((x - self.mean) / self.std).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))


class CustomCNN(Normalised):
    """A custom design (fashion/spec.py): its blocks, each a Stage that halves the map, then its head.

    Its parts are those of FashionCNN (`features`, `embed`, `head`), so that whatever uses one (the
    classifier, the unfamiliar score, the nearest images, the views inside the network) uses the other.
    fashion.spec.layers describes this network row by row; tests/test_spec.py holds the two together.
    """

    arch = CUSTOM

    def __init__(self, spec: CustomSpec):
        super().__init__()
        self.spec = spec.validate()
        widths = (1, *spec.channels)
        self.features = nn.Sequential(*[Stage(c_in, c_out, int(spec.residual), spec.kernel, spec.pool, spec.batch_norm)
                                        for c_in, c_out in zip(widths, widths[1:], strict=False)])
        c, h, w = block_layers(spec)[-1].shape          # the last map
        if spec.head == "gap":
            self.neck, features = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()), c
        else:
            self.neck, features = nn.Flatten(), c * h * w
        if spec.head == "hidden":
            self.neck = nn.Sequential(self.neck, nn.Linear(features, spec.hidden), nn.ReLU(inplace=True))
            features = spec.hidden
        # Dropout before the last layer only: embed() (the features) stays the same in training and use.
        self.head = nn.Sequential(nn.Dropout(spec.dropout), nn.Linear(features, NUM_CLASSES))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Features before the last layer (after the hidden layer, for that head)."""
        return self.neck(self.features((x - self.mean) / self.std))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))


class Ensemble(nn.Module):
    """Several FashionCNNs of one architecture, trained apart from different seeds; their probabilities averaged.

    Two models' mistakes differ enough that their average beats either (see weights/README.md). It returns
    log-probabilities, so a softmax of its output, as for any model here, gives the average probabilities.
    """

    def __init__(self, members: list[FashionCNN]):
        super().__init__()
        if len({(m.arch, m.spec) for m in members}) != 1:
            raise ValueError("An ensemble's members must share one architecture.")
        self.arch, self.spec = members[0].arch, members[0].spec
        self.members = nn.ModuleList(members)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The members' features side by side."""
        return torch.cat([m.embed(x) for m in self.members], 1)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        parts = features.chunk(len(self.members), 1)
        probs = torch.stack([m.head(f).float().softmax(1) for m, f in zip(self.members, parts, strict=True)]).mean(0)
        return probs.clamp(min=1e-12).log()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))


def build_model(arch: str = DEFAULT_ARCH, generator: torch.Generator | None = None,
                spec: CustomSpec | None = None) -> FashionCNN | CustomCNN:
    """A freshly initialised model (of `spec`'s design for arch "custom"); with a generator its weights
    depend only on that generator's seed."""
    if arch == CUSTOM:
        if spec is None:
            raise ValueError("The custom architecture needs its design (a spec).")
        model = CustomCNN(spec)
    elif arch not in ARCHITECTURES:
        raise ValueError(f"Unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}, or {CUSTOM}.")
    else:
        model = FashionCNN(arch)
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            # Seeded per model rather than through the global RNG, so parallel sessions cannot disturb it.
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu", generator=generator)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    return model.to(memory_format=torch.channels_last)


def configure_cpu(threads: int) -> None:
    """Use `threads` threads, and round denormal floats to zero; call it before any other torch work."""
    # Tiny activations (denormals) take a slow path on x86: in some processes they made a batch of 1,000
    # 1.4x slower. Set first: set after torch had started its worker threads, it did not help.
    torch.set_flush_denormal(True)
    torch.set_num_threads(threads)


Model = FashionCNN | CustomCNN | Ensemble     # what the rest of the package trains, saves, loads and predicts with


def member_count(model: Model) -> int:
    return len(model.members) if isinstance(model, Ensemble) else 1


def build_ensemble(arch: str, members: int, spec: CustomSpec | None = None) -> Model:
    """An untrained model of `members` networks (one member: a plain one), e.g. to load weights into."""
    models = [build_model(arch, spec=spec) for _ in range(members)]
    return models[0] if members == 1 else Ensemble(models)


def join_members(models: list[Model]) -> Ensemble:
    """One ensemble of every network in `models` (each a FashionCNN or an Ensemble), in order."""
    members = [m for model in models for m in (model.members if isinstance(model, Ensemble) else [model])]
    if len(members) > MAX_MEMBERS:
        raise ValueError(f"That makes {len(members)} networks; an ensemble holds at most {MAX_MEMBERS}.")
    return Ensemble(members)


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
