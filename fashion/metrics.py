"""Metrics beyond accuracy: precision, recall and F1 per class, precision-recall curves, and calibration.

Accuracy says how often the model is right; these say where and how. Precision and recall split a class's
errors into the images wrongly given that class and the images of it missed; a precision-recall curve shows
what trading one for the other costs, class by class; the reliability bins and the expected calibration
error say whether a "90% sure" answer is right nine times in ten. All of it comes from the model's test
probabilities, so any view of a model (the CLI, the Mistakes tab, a run in the Train tab) can show it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from fashion.evaluate import confusion_matrix

# Equal-width confidence bins for the reliability diagram and ECE: 15 is the usual choice since Guo et
# al. (2017), fine enough to show a trend, coarse enough that each bin in use holds many test images.
CALIBRATION_BINS = 15


@dataclass
class MetricsReport:
    """A model's scores on labelled images beyond accuracy. Per-class lists are in class order."""
    precision: list[float]
    recall: list[float]
    f1: list[float]
    support: list[int]                   # images of each true class
    macro_precision: float               # the plain mean over classes: every class counts the same
    macro_recall: float
    macro_f1: float                      # the mean of the classes' F1, not the F1 of the two macro means
    curve_precision: list[np.ndarray]    # one-vs-rest precision-recall curve of each class, from recall 0
    curve_recall: list[np.ndarray]
    average_precision: list[float]       # the area under each curve, as a step function
    bin_confidence: list[float]          # mean top probability in each confidence bin (nan where empty)
    bin_accuracy: list[float]            # share of right answers in each bin (nan where empty)
    bin_count: list[int]
    ece: float                           # expected calibration error: the bins' |accuracy - confidence|, weighted


def class_scores(confusion: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Precision, recall, F1 and support of each class from a confusion matrix (confusion[true][predicted]).

    One function for every source of a confusion matrix (test probabilities, or a stored run's matrix).
    Zero division: a class never predicted has precision 0 (it found nothing), a class with no images
    recall 0, and F1 is 0 where both are; F1 is 2 TP / (predicted + support), the harmonic mean of the two
    written so that it needs no such rule of its own.
    """
    confusion = torch.as_tensor(confusion, dtype=torch.float64)
    hits, predicted, support = confusion.diag(), confusion.sum(0), confusion.sum(1)
    precision = hits / predicted.clamp(min=1)
    recall = hits / support.clamp(min=1)
    f1 = 2 * hits / (predicted + support).clamp(min=1)
    return precision, recall, f1, support.long()


def pr_curve(scores: torch.Tensor, positive: torch.Tensor) -> tuple[np.ndarray, np.ndarray, float]:
    """One class against the rest: precision and recall at every threshold on its score, and their AP.

    The curve starts at recall 0, precision 1 (a threshold above every score) and ends at recall 1, where
    every image counts as the class and precision is its share of the images. Tied scores make a single
    point, as one threshold cannot split them. AP is the sum of precision times each step in recall,
    without interpolation, so a perfect ranking scores 1 and a random one about the class's share.
    """
    order = scores.argsort(descending=True, stable=True)
    ranked, hit = scores[order], positive[order].double()
    true_pos, false_pos = hit.cumsum(0), (1 - hit).cumsum(0)
    last_of_tie = torch.ones_like(ranked, dtype=torch.bool)
    last_of_tie[:-1] = ranked[1:] != ranked[:-1]
    true_pos, false_pos = true_pos[last_of_tie], false_pos[last_of_tie]
    one, zero = torch.ones(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
    precision = torch.cat([one, true_pos / (true_pos + false_pos)])
    recall = torch.cat([zero, true_pos / hit.sum().clamp(min=1)])
    average_precision = ((recall[1:] - recall[:-1]) * precision[1:]).sum().item()
    return precision.numpy(), recall.numpy(), average_precision


def reliability_bins(probs: torch.Tensor, labels: torch.Tensor,
                     bins: int = CALIBRATION_BINS) -> tuple[list[float], list[float], list[int], float]:
    """Mean confidence, accuracy and count of the answers in each of `bins` equal-width confidence bins,
    and the expected calibration error.

    The confidence is the top probability, the answer is right if that class is the label. Bin k holds
    confidences in (k/bins, (k+1)/bins]. ECE = sum over bins of (count / N) * |accuracy - confidence|: 0
    for a model whose "p sure" answers are right a share p of the time, large for an over- (or under-)
    confident one.
    """
    confidence, predicted = probs.double().max(1)
    right = (predicted == labels).double()
    which = (confidence * bins).ceil().long().clamp(1, bins) - 1
    count = torch.bincount(which, minlength=bins)
    confidence_sum = torch.bincount(which, weights=confidence, minlength=bins)
    right_sum = torch.bincount(which, weights=right, minlength=bins)
    ece = ((right_sum - confidence_sum).abs().sum() / max(len(labels), 1)).item()
    empty = count == 0
    mean_confidence = (confidence_sum / count.clamp(min=1)).masked_fill(empty, float("nan"))
    accuracy = (right_sum / count.clamp(min=1)).masked_fill(empty, float("nan"))
    return mean_confidence.tolist(), accuracy.tolist(), count.tolist(), ece


def metrics_report(probs: torch.Tensor, labels: torch.Tensor) -> MetricsReport:
    """Everything above for a model's probabilities (N, C) on images with these labels (N,)."""
    probs, labels = probs.cpu(), labels.cpu().long()
    precision, recall, f1, support = class_scores(confusion_matrix(labels, probs.argmax(1)))
    curves = [pr_curve(probs[:, c], labels == c) for c in range(probs.shape[1])]
    bin_confidence, bin_accuracy, bin_count, ece = reliability_bins(probs, labels)
    return MetricsReport(
        precision=precision.tolist(), recall=recall.tolist(), f1=f1.tolist(), support=support.tolist(),
        macro_precision=precision.mean().item(), macro_recall=recall.mean().item(), macro_f1=f1.mean().item(),
        curve_precision=[c[0] for c in curves], curve_recall=[c[1] for c in curves],
        average_precision=[c[2] for c in curves],
        bin_confidence=bin_confidence, bin_accuracy=bin_accuracy, bin_count=bin_count, ece=ece,
    )
