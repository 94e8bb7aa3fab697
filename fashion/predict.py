"""Classify 28x28 inputs: probabilities, top classes, an unfamiliar-item score, and a saliency map."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from fashion.classes import CLASS_NAMES, DEFAULT_WEIGHTS
from fashion.evaluate import predict_probs
from fashion.model import Model
from fashion.unfamiliar import FeatureStats, load_stats, relative_mahalanobis, sidecar_path
from fashion.weights import load_model

if TYPE_CHECKING:
    from fashion.photo import PhotoInput

# For models without feature statistics (those trained in the app): 1 - max probability above this
# raises the "does not look like any of the ten" warning. Models with statistics use a distance in
# feature space instead, and the threshold saved with it (fashion/unfamiliar.py).
UNFAMILIAR_THRESHOLD = 0.5


@dataclass
class Prediction:
    index: int
    label: str
    confidence: float
    probs: list[float]                 # all ten, in class order
    top: list[tuple[str, float]]       # the three best, best first
    unfamiliar_score: float            # higher: less like any of the ten classes
    unfamiliar: bool


class Classifier:
    """A trained model with its metadata, ready to classify single images or batches."""

    def __init__(self, model: Model, metadata: dict | None = None, feature_stats: FeatureStats | None = None):
        self.model = model.eval()
        self.metadata = metadata or {}
        # Mirror averaging is part of how a model is meant to be used; the weights file says so.
        self.mirror = bool(self.metadata.get("mirror", True))
        self.feature_stats = feature_stats

    @classmethod
    def load(cls, path: Path = DEFAULT_WEIGHTS) -> "Classifier":
        return cls(*load_model(path), feature_stats=load_stats(sidecar_path(path)))

    def probs(self, images: torch.Tensor) -> torch.Tensor:
        return predict_probs(self.model, images, mirror=self.mirror)

    def classify(self, image: np.ndarray, views_mirrored: bool = False) -> Prediction:
        """Classify a float image (28, 28) in [0, 1], bright item on black, or views of one item (V, 28, 28).

        The views' probabilities are averaged, and the unfamiliar score is taken at their mean feature.
        views_mirrored says the views already include their own mirror images.
        """
        x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).view(-1, 1, 28, 28)
        if self.mirror and not views_mirrored:
            x = torch.cat([x, x.flip(3)])
        with torch.inference_mode():
            features = self.model.embed(x)
            probs = self.model.head(features).float().softmax(1).mean(0)
        if self.feature_stats is None:
            return make_prediction(probs)
        score = relative_mahalanobis(self.feature_stats, features.mean(0, keepdim=True))[0].item()
        return make_prediction(probs, score, self.feature_stats.threshold)

    def classify_photo(self, photo: PhotoInput) -> Prediction:
        """Classify a photo (from fashion.photo.read_photo) by all its views, not only the one the app shows."""
        # A photo's views come with their mirror images (fashion/photo.py): mirroring them again would
        # double the work for the same average.
        return self.classify(photo.views, views_mirrored=True)

    def saliency(self, image: np.ndarray, index: int) -> np.ndarray:
        """Which pixels drove the score of class `index`: |gradient x input|, smoothed, scaled to [0, 1]."""
        x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).view(1, 1, 28, 28).requires_grad_()
        self.model.zero_grad(set_to_none=True)
        self.model(x)[0, index].backward()
        heat = (x.grad * x).abs()[0, 0]
        heat = torch.nn.functional.avg_pool2d(heat[None, None], 3, stride=1, padding=1)[0, 0]
        return (heat / heat.max().clamp(min=1e-12)).detach().numpy()


def make_prediction(probs: torch.Tensor, score: float | None = None,
                    threshold: float = UNFAMILIAR_THRESHOLD) -> Prediction:
    """Without a feature-space score, the unfamiliar score is 1 - the top probability."""
    confidence, index = probs.max(0)
    order = probs.argsort(descending=True)[:3]
    score = 1.0 - confidence.item() if score is None else score
    return Prediction(
        index=int(index), label=CLASS_NAMES[int(index)], confidence=confidence.item(), probs=probs.tolist(),
        top=[(CLASS_NAMES[i], probs[i].item()) for i in order.tolist()],
        unfamiliar_score=score, unfamiliar=score > threshold,
    )
