"""The training images nearest to an input in the model's feature space.

They explain an answer (the input sits among training images of that class) and the "not one of the
ten" warning (its nearest training images are far away, or of mixed classes). The index holds the
features of all 60,000 training images, projected on their 128 main directions (PCA): 31 MB instead of
0.5 GB for the shipped pair's 2,304 features, with distances close to the full ones. The same pass
places the 10,000 test images on the first two directions: the embedding map of the Mistakes tab.
Built once per model, in the background.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from fashion.infer import run
from fashion.model import Model

DIMS = 128                # main directions kept
FIT_IMAGES = 10_000       # the directions are fitted on this many training images' features
CHUNK = 2_000             # images whose features are computed at a time (then projected): memory stays small
TYPICAL_PROBES = 1_000    # test images whose nearest distance gives the "typical" one


@dataclass
class FeatureIndex:
    mean: torch.Tensor        # (D,) mean training feature
    basis: torch.Tensor       # (D, DIMS) the main directions
    points: torch.Tensor      # (N, DIMS) every training image, projected
    typical: float            # the median distance from a test image to its nearest training image
    test_map: torch.Tensor    # (M, 2) every test image on the first two directions: the embedding map

    def project(self, features: torch.Tensor) -> torch.Tensor:
        return (features.float() - self.mean) @ self.basis

    def on_map(self, features: torch.Tensor) -> torch.Tensor:
        """Items' features (M, D) placed on the embedding map (M, 2)."""
        return self.project(features)[:, :2]

    def nearest(self, features: torch.Tensor, k: int = 8) -> tuple[list[int], list[float]]:
        """The k training images nearest to one item's features (D,): their indices and distances, nearest
        first."""
        # Without the matrix-product shortcut, which loses the last digits: an image itself is at 0, not 0.008.
        distances = torch.cdist(self.project(features[None]), self.points,
                                compute_mode="donot_use_mm_for_euclid_dist")[0]
        found = distances.topk(k, largest=False)
        return found.indices.tolist(), found.values.tolist()


def features_of(model: Model, images: torch.Tensor) -> torch.Tensor:
    """The features the index is made of: each image as it is (no mirror), in float32."""
    return run(model, images, mirror=False, features=True).features


def features_of_image(model: Model, image: np.ndarray) -> torch.Tensor:
    """One float image's (28, 28, in [0, 1]) features (D,), as the index holds them: to look it up or map it."""
    return features_of(model, torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).view(1, 1, 28, 28))[0]


def principal_directions(features: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The mean (D,) and the k directions of most variance (D, k), most first: PCA by the covariance's
    eigenvectors (exact, and no random draws)."""
    mean = features.mean(0)
    centred = (features - mean).double()
    _, vectors = torch.linalg.eigh(centred.T @ centred / len(features))     # eigenvalues ascending
    return mean, vectors[:, -min(k, features.shape[1]):].flip(1).float()


def build_index(model: Model, train_images: torch.Tensor, test_images: torch.Tensor,
                progress: Callable[[float], None] | None = None) -> FeatureIndex:
    """Index the training images' features and map the test images'; `progress` hears the share done (0 to 1)."""
    total, done = len(train_images) + len(test_images), 0

    def features(images: torch.Tensor, project: Callable | None = None) -> list[torch.Tensor]:
        """Features chunk by chunk, projected as they come when `project` is given, so memory stays small."""
        nonlocal done
        parts = []
        for start in range(0, len(images), CHUNK):
            part = features_of(model, images[start:start + CHUNK])
            parts.append(project(part) if project else part)
            done += len(part)
            if progress is not None:
                progress(done / total)
        return parts

    fitted = torch.cat(features(train_images[:FIT_IMAGES]))
    index = FeatureIndex(*principal_directions(fitted, DIMS), points=torch.empty(0), typical=0.0,
                         test_map=torch.empty(0))
    index.points = torch.cat([index.project(fitted), *features(train_images[FIT_IMAGES:], index.project)])
    tests = torch.cat(features(test_images, index.project))
    index.test_map = tests[:, :2].contiguous()
    index.typical = torch.cdist(tests[:TYPICAL_PROBES], index.points).min(1).values.median().item()
    return index
