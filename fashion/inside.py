"""Inside the network: what each stage makes of one image, and what the first convolution looks for.

A learner sees edges and blobs in the first stage and parts of garments further on. For an ensemble the
views show its first member (the others are built alike); `network_of` says which network that is.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from fashion.devices import device_of
from fashion.model import CustomCNN, Ensemble, FashionCNN, Model, Residual, Stage
from fashion.spec import block_words

SHOWN_MAPS = 32           # the strongest maps of a stage that are drawn; the rest are counted


@dataclass
class StageMaps:
    """One stage's output for one image."""
    name: str                     # e.g. "Stage 2: 3×3 convolution, max-pool, batch norm, ReLU"
    shape: tuple[int, int, int]   # channels, height, width
    maps: np.ndarray              # (C, H, W), each map scaled to [0, 1] by its own maximum, strongest first
    channels: np.ndarray          # the channel number of each map, in that order
    strength: np.ndarray          # each map's mean activation, in that order (before scaling)


def network_of(model: Model) -> FashionCNN | CustomCNN:
    """The network the views show: the model itself, or an ensemble's first member."""
    return model.members[0] if isinstance(model, Ensemble) else model


def describe(module: nn.Module, number: int) -> str:
    """A stage's name, from what it is built of."""
    if not isinstance(module, Stage):
        return "Stem: 3×3 convolution at 28×28, batch norm, ReLU"
    blocks = sum(isinstance(m, Residual) for m in module.blocks)
    extra = f", then {blocks} residual block{'s' if blocks > 1 else ''}" if blocks else ""
    return f"Stage {number}: {block_words(module.kernel, module.pool, module.batch_norm)}{extra}"


@torch.inference_mode()
def feature_maps(model: Model, image: np.ndarray) -> list[StageMaps]:
    """Every stage's output for one float image (28, 28) in [0, 1], in float32, strongest maps first."""
    net = network_of(model)
    x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).view(1, 1, 28, 28).to(device_of(net))
    # The stages run one by one, as net.embed runs them, rather than through hooks: the model is shared
    # with other sessions' threads, whose passes a hook would catch too (a Classifier keeps it in eval mode).
    x = (x - net.mean) / net.std
    stages, number = [], 0
    for stage in net.features:
        x = stage(x)
        number += isinstance(stage, Stage)
        stages.append(as_stage_maps(describe(stage, number), x[0].float().cpu()))
    return stages


def as_stage_maps(name: str, output: torch.Tensor) -> StageMaps:
    """A stage's (C, H, W) output sorted strongest first, each map scaled by its own maximum."""
    strength = output.mean((1, 2))
    order = strength.argsort(descending=True)
    maps = output[order]
    peak = maps.amax((1, 2), keepdim=True).clamp(min=1e-6)
    return StageMaps(name, tuple(output.shape), (maps / peak).clamp(0, 1).numpy(), order.numpy(),
                     strength[order].numpy())


def first_filters(model: Model) -> np.ndarray:
    """The first convolution's learned filters (C, k, k), 3×3 or 5×5, in [0, 1]: 0.5 is zero, brighter positive,
    darker negative, each filter scaled by its own largest weight."""
    conv = next(m for m in network_of(model).modules() if isinstance(m, nn.Conv2d))
    weights = conv.weight.detach().float().cpu()[:, 0]
    peak = weights.abs().amax((1, 2), keepdim=True).clamp(min=1e-12)
    return (0.5 + 0.5 * weights / peak).numpy()
