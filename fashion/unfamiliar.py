"""The unfamiliar-item score: how far an image's features lie from the training set's ten classes.

A softmax has no "none of these" answer, and its confidence stays high on hats and skirts. Distance in
feature space separates them better: relative Mahalanobis distance (Ren et al., 2021), the distance to
the nearest class minus the distance to the training set as a whole, in the top principal directions
of `FashionCNN.embed` (as fashion/infer.py computes them). Subtracting the whole-set distance cancels
what every photo has in common (lighting, texture, a rough outline), leaving what is unlike any one class.

The statistics come from the 60,000 training images only and are saved beside the model, as
`<model>.features.safetensors`; the warning threshold is chosen on real photos (see `choose_threshold`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from fashion.classes import NUM_CLASSES

FEATURE_DIMS = 32      # principal directions kept: 16 to 256 all scored within 0.02 AUROC on the photos; 32 is small
RIDGE = 1e-4           # share of the mean variance added to each covariance, so it always inverts
# Share of real garment photos that may be flagged. On ../shared/photos, flagging 5% of the garments
# caught 40% of the unfamiliar items, 10% caught 67%, 20% caught 90%: one garment in ten gets the
# (mild) warning, and most hats, shorts and skirts do. A quantile is steadier than any one score.
KNOWN_FLAG_RATE = 0.10


@dataclass
class FeatureStats:
    """Where the training features lie: their mean, principal directions, class means, inverse covariances."""
    mean: torch.Tensor            # (D,) mean feature
    directions: torch.Tensor      # (D, k) top principal directions
    class_means: torch.Tensor     # (10, k) in those directions
    class_precision: torch.Tensor # (k, k) inverse of the covariance shared by the classes
    all_precision: torch.Tensor   # (k, k) inverse of the covariance of all the features
    threshold: float              # scores above this raise the warning


def sidecar_path(model_path: Path) -> Path:
    """weights/fashion_cnn.safetensors -> weights/fashion_cnn.features.safetensors"""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + ".features.safetensors")


def inverse_covariance(centred: torch.Tensor) -> torch.Tensor:
    cov = centred.T @ centred / len(centred)
    cov += RIDGE * cov.diagonal().mean() * torch.eye(len(cov), dtype=cov.dtype)
    return torch.linalg.inv(cov)


def fit_feature_stats(features: torch.Tensor, labels: torch.Tensor, dims: int = FEATURE_DIMS) -> FeatureStats:
    """Fit the score's statistics on training features (N, D); the threshold is set later."""
    features = features.double()
    mean = features.mean(0)
    _, _, vt = torch.linalg.svd(features - mean, full_matrices=False)
    directions = vt[:dims].T
    z = (features - mean) @ directions
    class_means = torch.stack([z[labels == c].mean(0) for c in range(NUM_CLASSES)])
    return FeatureStats(mean.float(), directions.float(), class_means.float(),
                        inverse_covariance(z - class_means[labels]).float(), inverse_covariance(z).float(),
                        threshold=float("inf"))


def relative_mahalanobis(stats: FeatureStats, features: torch.Tensor) -> torch.Tensor:
    """Higher: further from every class than from the training set as a whole. Features (N, D) -> (N,)."""
    z = (features.float() - stats.mean) @ stats.directions
    d = z[:, None, :] - stats.class_means[None]
    to_class = torch.einsum("nkd,de,nke->nk", d, stats.class_precision, d).min(1).values
    to_all = torch.einsum("nd,de,ne->n", z, stats.all_precision, z)
    return to_class - to_all


def choose_threshold(known_scores: list[float], flag_rate: float = KNOWN_FLAG_RATE) -> float:
    """The score above which only `flag_rate` of real photos of the ten classes lie."""
    return float(np.quantile(np.asarray(known_scores), 1.0 - flag_rate))


def save_stats(stats: FeatureStats, path: Path) -> None:
    tensors = {name: getattr(stats, name).contiguous() for name in
               ("mean", "directions", "class_means", "class_precision", "all_precision")}
    save_file(tensors, str(path), metadata={"threshold": repr(stats.threshold),
                                            "score": "relative Mahalanobis distance, fashion/unfamiliar.py"})


def load_stats(path: Path) -> FeatureStats | None:
    """The statistics saved beside a model, or None where there are none (e.g. a model trained in the app)."""
    path = Path(path)
    if not path.is_file():
        return None
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        threshold = float(f.metadata().get("threshold", "inf"))
    return FeatureStats(**load_file(str(path)), threshold=threshold)
