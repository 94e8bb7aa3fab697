"""The Train tab's live strip: the model's answers on a dozen fixed test images, and its first filters, at
each evaluation, so that a presenter can point at the network learning while the curves climb."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from fashion.classes import LIVE_TEST_IMAGES
from fashion.data import to_float
from fashion.infer import predict_probs
from fashion.inside import first_filters
from fashion.model import Model


@dataclass
class LiveView:
    probs: list[list[float]]        # (N, 10): the fixed test images, then the person's own input if given
    filters: np.ndarray             # (C, k, k) the first convolution's filters, as fashion.inside draws them


def live_probes(test_images: torch.Tensor, own: np.ndarray | None = None) -> torch.Tensor:
    """The strip's images as a float batch (N, 1, 28, 28): the fixed test images, then `own` (28x28 in [0, 1])."""
    probes = to_float(test_images[list(LIVE_TEST_IMAGES)].cpu())
    if own is None:
        return probes
    return torch.cat([probes, torch.from_numpy(np.ascontiguousarray(own, dtype=np.float32)).view(1, 1, 28, 28)])


def live_view(model: Model, probes: torch.Tensor) -> LiveView:
    """What the model makes of the strip's images now (a dozen images: milliseconds)."""
    return LiveView(predict_probs(model, probes).tolist(), first_filters(model))
