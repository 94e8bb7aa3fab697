"""Inference: the one place where images become answers.

Every answer the project gives (the Classify and Mistakes tabs, `classify`, `evaluate`,
`evaluate-photos`, `fit-unfamiliar`, the evaluations during training) runs the network through `run`,
which owns the two choices besides the weights that decide an answer:
- the test-time views (`views`): each image and, where asked, its mirror image, their answers averaged;
- the precision (`use_low_precision`): the device's own (fashion/devices.py) for plain passes over many
  images, float32 where features count.
It runs on the model's device and answers with tensors on the CPU.

On top of it, `Classifier` answers for each kind of input with the same `Prediction`: a batch of 28x28
images (`probs`), one 28x28 image (`classify`), a sketch (`classify_sketch`), and a photo's file or
bytes (`classify_file`, which also turns a bad file into a sentence).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from fashion.advice import Advice, needs_advice
from fashion.card import ModelCard
from fashion.classes import CLASS_NAMES, DEFAULT_WEIGHTS, NUM_CLASSES
from fashion.data import to_float
from fashion.devices import autocast, choose, device_of
from fashion.images import ImageError
from fashion.model import Model
from fashion.photo import NoItemError, PhotoInput, read_photo
from fashion.sketch import NOTHING_DRAWN, sketch_to_input
from fashion.unfamiliar import FeatureStats, load_stats, relative_mahalanobis, sidecar_path
from fashion.weights import load_model

# Batches of 128: as fast as 500 for the small nets, and steadier for those with 28x28 maps of many
# channels (the shipped pair: a batch of 1,000 in 0.25-0.27 s in every process, where at 500 some
# processes took 0.35 s).
BATCH_SIZE = 128
# For models without feature statistics (those trained in the app): 1 - max probability above this
# raises the "does not look like any of the ten" warning. Models with statistics use a distance in
# feature space instead, and the threshold saved with it (fashion/unfamiliar.py).
UNFAMILIAR_THRESHOLD = 0.5
# A single item (a photo, a sketch) is always seen mirrored too, whatever a batch does: it costs
# milliseconds, and steadies the answer.
MIRROR_ITEMS = True


def views(x: torch.Tensor, mirror: bool) -> list[torch.Tensor]:
    """The test-time views of a float batch (N, 1, 28, 28), each a batch like it; their answers are averaged.

    Clothes are (nearly) left-right symmetric, so a mirror image is a cheap second opinion.
    """
    return [x, x.flip(3)] if mirror else [x]


def use_low_precision(features: bool) -> bool:
    """The device's reduced precision (bfloat16 on CPUs that have it), unless the features are wanted.

    On a pass over the test set it is twice as fast on such a CPU, with the same answers but for a
    handful of near-ties in 10,000. Features stay float32: the unfamiliar score compares them, as
    distances, with statistics fitted in float32.
    """
    return not features


@dataclass
class Outputs:
    probs: torch.Tensor                 # (N, 10), averaged over each image's views
    features: torch.Tensor | None       # (N, D) float32, averaged over the views; None unless asked for


@torch.inference_mode()
def run(model: Model, images: torch.Tensor, mirror: bool, features: bool = False) -> Outputs:
    """Class probabilities (and, if asked, features) of uint8 (N, 28, 28) or float (N, 1, 28, 28) images."""
    was_training, device = model.training, device_of(model)
    model.eval()
    probs, feats = [], []
    with autocast(device, wanted=use_low_precision(features)):
        for start in range(0, len(images), BATCH_SIZE):
            x = images[start:start + BATCH_SIZE].to(device)
            x = to_float(x) if x.dtype == torch.uint8 else x.float()
            seen = views(x.contiguous(memory_format=torch.channels_last), mirror)
            embedded = [model.embed(view) for view in seen]
            probs.append(torch.stack([model.head(f).float().softmax(1) for f in embedded]).mean(0))
            if features:
                feats.append(torch.stack(embedded).float().mean(0))
    model.train(was_training)
    if not probs:
        return Outputs(torch.empty(0, NUM_CLASSES), torch.empty(0, 0) if features else None)
    return Outputs(torch.cat(probs).cpu(), torch.cat(feats).cpu() if features else None)


def predict_probs(model: Model, images: torch.Tensor, mirror: bool = False) -> torch.Tensor:
    """Class probabilities (N, 10) of a batch: what evaluation and training's test scores use."""
    return run(model, images, mirror).probs


@dataclass
class Prediction:
    index: int
    label: str
    confidence: float
    probs: list[float]                 # all ten, in class order
    top: list[tuple[str, float]]       # the three best, best first
    unfamiliar_score: float            # higher: less like any of the ten classes
    unfamiliar: bool


@dataclass
class Answer:
    """What one input became: a prediction and the images it was made from, or a sentence saying why not."""
    prediction: Prediction | None = None
    image: np.ndarray | None = None    # the main 28x28 rendering: the one to show and explain
    views: np.ndarray | None = None    # every 28x28 view the answer is averaged over
    photo: PhotoInput | None = None    # for a photo: where in it the item was found
    advice: Advice | None = None       # for a photo unlike the dataset's: what is off, and what to do
    message: str | None = None         # why there is no prediction
    level: str = "info"                # how bad that is: "info" (nothing yet), "warning" or "error"


class Classifier:
    """A trained model with its card and feature statistics, ready to answer for any kind of input, on the
    package's device (fashion.devices.choose()) unless given another."""

    def __init__(self, model: Model, card: ModelCard | None = None, feature_stats: FeatureStats | None = None,
                 device: torch.device | None = None):
        self.model = model.eval().to(device or choose())
        self.card = card or ModelCard(arch=model.arch)
        self.feature_stats = feature_stats

    @classmethod
    def load(cls, path: Path = DEFAULT_WEIGHTS, device: torch.device | None = None) -> Classifier:
        return cls(*load_model(path), feature_stats=load_stats(sidecar_path(path)), device=device)

    @property
    def mirror(self) -> bool:
        """Whether a batch is mirror-averaged: part of how the model is meant to be used, as its card says."""
        return self.card.mirror

    def probs(self, images: torch.Tensor) -> torch.Tensor:
        """Class probabilities (N, 10) of a batch of 28x28 images, as the model is meant to be used."""
        return predict_probs(self.model, images, self.mirror)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Features (N, D) of a batch, averaged over the same views as `probs`."""
        return run(self.model, images, self.mirror, features=True).features

    def classify_views(self, images: np.ndarray) -> Prediction:
        """The answer for one item seen as float images (V, 28, 28) in [0, 1], bright on black.

        The views' probabilities are averaged, and the unfamiliar score taken at their mean feature.
        """
        x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).view(-1, 1, 28, 28)
        out = run(self.model, x, MIRROR_ITEMS, features=True)
        probs = out.probs.mean(0)
        if self.feature_stats is None:
            return make_prediction(probs)
        score = relative_mahalanobis(self.feature_stats, out.features.mean(0, keepdim=True))[0].item()
        return make_prediction(probs, score, self.feature_stats.threshold)

    def classify(self, image: np.ndarray) -> Prediction:
        """The answer for one float image (28, 28) in [0, 1], bright item on black."""
        return self.classify_views(image[None])

    def classify_photo(self, photo: PhotoInput) -> Prediction:
        """The answer for a photo (from fashion.photo.read_photo), from all its renderings."""
        return self.classify_views(photo.views)

    def classify_file(self, source) -> Answer:
        """A photo's file (path, bytes or upload) to an answer; a file we cannot use gets a sentence."""
        try:
            photo = read_photo(source)
        except NoItemError as error:
            return Answer(message=str(error), level="warning")
        except ImageError as error:
            return Answer(message=str(error), level="error")
        prediction = self.classify_photo(photo)
        return Answer(prediction, photo.image, seen_views(photo.views), photo,
                      advice=needs_advice(photo.findings, prediction.confidence))

    def classify_sketch(self, rgba: np.ndarray) -> Answer:
        """A drawing from the sketch canvas (RGBA or RGB, dark on white) to an answer."""
        image = sketch_to_input(rgba)
        if image is None:
            return Answer(message=NOTHING_DRAWN)
        return Answer(self.classify(image), image, seen_views(image[None]))

    def saliency(self, image: np.ndarray, index: int) -> np.ndarray:
        """Which pixels drove the score of class `index`: |gradient x input|, smoothed, scaled to [0, 1]."""
        x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).view(1, 1, 28, 28)
        x = x.to(device_of(self.model)).requires_grad_()
        # The gradient of the input alone: sessions share this model, and backward() into its weights'
        # .grad from several threads at once corrupted the heap (15 uploads at once crashed the server).
        (grad,) = torch.autograd.grad(self.model(x)[0, index], x)
        heat = (grad * x).abs()[0, 0]
        heat = torch.nn.functional.avg_pool2d(heat[None, None], 3, stride=1, padding=1)[0, 0]
        return (heat / heat.max().clamp(min=1e-12)).detach().cpu().numpy()


def seen_views(images: np.ndarray) -> np.ndarray:
    """Every 28x28 view `classify_views` averages over for these images (V, 28, 28): to show them."""
    x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))[:, None]
    return torch.cat(views(x, MIRROR_ITEMS))[:, 0].numpy()


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
