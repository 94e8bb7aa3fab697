"""Score a model on labelled images: accuracy, per-class accuracy, confusion matrix, and its mistakes."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from fashion.classes import NUM_CLASSES
from fashion.infer import predict_probs


@dataclass
class Report:
    accuracy: float
    per_class: list[float]           # accuracy on each true class, in class order
    confusion: list[list[int]]       # confusion[true][predicted] = count


@dataclass
class Mistakes:
    """The misclassified images, as parallel tensors (index into the test set, labels, confidence)."""
    index: torch.Tensor
    true: torch.Tensor
    predicted: torch.Tensor
    confidence: torch.Tensor         # the probability the model gave its (wrong) answer

    def __len__(self) -> int:
        return len(self.index)


def confusion_matrix(true: torch.Tensor, predicted: torch.Tensor) -> torch.Tensor:
    return torch.bincount(true * NUM_CLASSES + predicted, minlength=NUM_CLASSES ** 2).view(NUM_CLASSES, NUM_CLASSES)


def report_from_probs(probs: torch.Tensor, labels: torch.Tensor) -> Report:
    confusion = confusion_matrix(labels, probs.argmax(1))
    per_class = confusion.diag().float() / confusion.sum(1).clamp(min=1).float()
    accuracy = confusion.diag().sum().item() / max(len(labels), 1)
    return Report(accuracy, per_class.tolist(), confusion.tolist())


def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, mirror: bool = False) -> Report:
    return report_from_probs(predict_probs(model, images, mirror=mirror), labels.cpu())


def find_mistakes(probs: torch.Tensor, labels: torch.Tensor) -> Mistakes:
    confidence, predicted = probs.max(1)
    wrong = (predicted != labels).nonzero().flatten()
    return Mistakes(wrong, labels[wrong], predicted[wrong], confidence[wrong])


def answers_at(probs: torch.Tensor, labels: torch.Tensor, indices: torch.Tensor) -> Mistakes:
    """The model's answers on chosen images, right or wrong, in the shape of Mistakes (to browse them alike)."""
    confidence, predicted = probs[indices].max(1)
    return Mistakes(indices, labels[indices], predicted, confidence)
