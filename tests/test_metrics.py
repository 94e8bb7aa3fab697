"""Metrics beyond accuracy, against cases worked out by hand and stand-in models of known calibration."""
import math

import numpy as np
import pytest
import torch

from fashion.classes import NUM_CLASSES
from fashion.metrics import CALIBRATION_BINS, class_scores, metrics_report, pr_curve, reliability_bins


def one_hot_probs(predicted: list[int], sure: float = 0.91) -> torch.Tensor:
    """Probabilities that put `sure` on each predicted class and share the rest."""
    probs = torch.full((len(predicted), NUM_CLASSES), (1 - sure) / (NUM_CLASSES - 1))
    probs[torch.arange(len(predicted)), torch.tensor(predicted)] = sure
    return probs


def test_precision_recall_and_f1_of_a_confusion_matrix_worked_out_by_hand():
    confusion = [[5, 1, 0],          # confusion[true][predicted]
                 [2, 3, 1],
                 [0, 0, 4]]
    precision, recall, f1, support = class_scores(confusion)
    # Predicted 7, 4 and 5 times; 6, 6 and 4 images of each class.
    assert precision.tolist() == pytest.approx([5 / 7, 3 / 4, 4 / 5])
    assert recall.tolist() == pytest.approx([5 / 6, 3 / 6, 4 / 4])
    harmonic = [2 * p * r / (p + r) for p, r in zip(precision.tolist(), recall.tolist(), strict=True)]
    assert f1.tolist() == pytest.approx(harmonic)
    assert f1.tolist() == pytest.approx([10 / 13, 6 / 10, 8 / 9])
    assert support.tolist() == [6, 6, 4]


def test_the_report_from_probabilities_matches_its_confusion_matrix_and_macro_means():
    labels = [0, 0, 0, 1, 1, 2, 2, 2, 2, 3]
    predicted = [0, 0, 1, 1, 0, 2, 2, 2, 3, 3]
    report = metrics_report(one_hot_probs(predicted), torch.tensor(labels))
    # Class 0: 2 right of 3 predicted, 2 found of 3; class 1: 1 of 2, 1 of 2; class 2: 3 of 3, 3 of 4;
    # class 3: 1 of 2, 1 of 1; classes 4-9: no images, never predicted.
    assert report.precision[:4] == pytest.approx([2 / 3, 1 / 2, 1, 1 / 2])
    assert report.recall[:4] == pytest.approx([2 / 3, 1 / 2, 3 / 4, 1])
    assert report.f1[:4] == pytest.approx([2 / 3, 1 / 2, 6 / 7, 2 / 3])
    assert report.support == [3, 2, 4, 1, 0, 0, 0, 0, 0, 0]
    assert report.macro_precision == pytest.approx(sum(report.precision) / NUM_CLASSES)
    assert report.macro_f1 == pytest.approx((2 / 3 + 1 / 2 + 6 / 7 + 2 / 3) / NUM_CLASSES)


def test_a_class_never_predicted_has_precision_recall_and_f1_zero():
    labels = torch.tensor([0, 0, 1, 1, 2])
    report = metrics_report(one_hot_probs([0, 0, 0, 0, 2]), labels)     # class 1's images all taken for 0
    assert report.precision[1] == 0 and report.recall[1] == 0 and report.f1[1] == 0
    assert report.precision[0] == pytest.approx(1 / 2) and report.recall[0] == 1
    assert all(not math.isnan(v) for v in report.precision + report.recall + report.f1)


def test_pr_curve_runs_from_recall_zero_to_one_and_ends_at_the_class_share():
    generator = torch.Generator().manual_seed(0)
    scores = torch.rand(1000, generator=generator, dtype=torch.float64)
    positive = torch.rand(1000, generator=generator) < 0.3
    precision, recall, ap = pr_curve(scores, positive)
    assert (recall[0], precision[0]) == (0.0, 1.0)
    assert recall[-1] == 1.0 and precision[-1] == pytest.approx(positive.double().mean().item())
    assert np.all(np.diff(recall) >= 0) and len(precision) == len(recall) == 1001
    assert ap == pytest.approx(positive.double().mean().item(), abs=0.05)      # random scores: AP ~ the share
    perfect = pr_curve(positive.double(), positive)          # ties: one point for each of the two scores
    assert perfect[2] == pytest.approx(1.0) and len(perfect[0]) == 3


def test_ece_of_a_calibrated_stand_in_is_about_zero():
    """Labels drawn from the model's own probabilities: its "p sure" answers are right a share p of the time."""
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(200_000, NUM_CLASSES, generator=generator) * 2.5
    probs = logits.softmax(1)
    labels = torch.multinomial(probs, 1, generator=generator)[:, 0]
    confidence, accuracy, count, ece = reliability_bins(probs, labels)
    assert ece < 0.01
    assert len(count) == CALIBRATION_BINS and sum(count) == len(labels)
    used = [i for i, n in enumerate(count) if n > 1000]
    assert all(abs(accuracy[i] - confidence[i]) < 0.02 for i in used)
    assert all(i / CALIBRATION_BINS < confidence[i] <= (i + 1) / CALIBRATION_BINS for i in used)


def test_ece_of_an_overconfident_stand_in_is_large():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(50_000, NUM_CLASSES, generator=generator) * 2.5
    labels = torch.multinomial(logits.softmax(1), 1, generator=generator)[:, 0]
    sharpened = (logits * 4).softmax(1)             # the same answers, four times as sure of them
    report = metrics_report(sharpened, labels)
    assert report.ece > 0.2
    assert report.ece == pytest.approx(sum(n / len(labels) * abs(a - c) for a, c, n in zip(
        report.bin_accuracy, report.bin_confidence, report.bin_count, strict=True) if n), abs=1e-9)


def test_empty_bins_say_so():
    _, accuracy, count, ece = reliability_bins(one_hot_probs([0, 1]), torch.tensor([0, 1]))
    assert count[13] == 2 and sum(count) == 2          # 0.91 is in (13/15, 14/15] and math.isnan(accuracy[0])
    assert ece == pytest.approx(0.09)               # 91% sure, always right
