"""What the Train tab's data view shows of Fashion-MNIST: a few training images of each class, the class
balance, the pixel statistics the models normalise with, and the same images as augmentation changes them."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from fashion.classes import NUM_CLASSES
from fashion.data import augment, to_float


@dataclass
class PixelStats:
    mean: float                     # of the training pixels scaled to [0, 1]
    std: float


def class_samples(labels: torch.Tensor, per_class: int, seed: int = 0) -> list[torch.Tensor]:
    """For each class, `per_class` indices of its images, drawn at random (the same for the same seed)."""
    generator = torch.Generator().manual_seed(seed)
    samples = []
    for label in range(NUM_CLASSES):
        of_class = (labels == label).nonzero().flatten()
        samples.append(of_class[torch.randperm(len(of_class), generator=generator)[:per_class]])
    return samples


def class_counts(labels: torch.Tensor) -> list[int]:
    return torch.bincount(labels, minlength=NUM_CLASSES).tolist()


def pixel_stats(images: torch.Tensor) -> PixelStats:
    """Mean and standard deviation of all pixels of uint8 images, scaled to [0, 1] (as fashion.classes has them)."""
    pixels = images.double().div(255)
    return PixelStats(pixels.mean().item(), pixels.std().item())


def augmented(images: torch.Tensor, seed: int, erase: float) -> torch.Tensor:
    """uint8 (N, 28, 28) images as one draw of the training augmentation makes them: float (N, 28, 28) in [0, 1]."""
    return augment(to_float(images), torch.Generator().manual_seed(seed), erase=erase)[:, 0]
