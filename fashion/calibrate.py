"""Fit a model's unfamiliar-item score: its statistics on the training set, its threshold on real photos.

`python -m fashion fit-unfamiliar` calls `fit_unfamiliar` and saves what it returns beside the model.
"""
from __future__ import annotations

from pathlib import Path

from fashion.data import FashionMNIST
from fashion.infer import Classifier
from fashion.photo_eval import photo_files
from fashion.unfamiliar import FeatureStats, choose_threshold, fit_feature_stats


def fit_unfamiliar(classifier: Classifier, data: FashionMNIST, photos: Path) -> tuple[FeatureStats, int]:
    """The statistics of the training features, with the threshold chosen on the garment photos under
    `photos`; and how many photos it was chosen on. The classifier uses the new statistics from then on."""
    classifier.feature_stats = fit_feature_stats(classifier.features(data.train_images), data.train_labels)
    scores = []
    for file, label in photo_files(photos):
        if label is None:
            continue            # the unfamiliar items: the threshold is set by the garments alone
        prediction = classifier.classify_file(file).prediction
        if prediction is not None:
            scores.append(prediction.unfamiliar_score)
    if not scores:
        raise ValueError(f"No photos of the ten classes under {photos} to choose the threshold on.")
    classifier.feature_stats.threshold = choose_threshold(scores)
    return classifier.feature_stats, len(scores)
