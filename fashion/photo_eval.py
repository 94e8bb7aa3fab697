"""Measure the photo path on a folder-per-class tree of real photos (like ../shared/photos).

Folders are named by class slug (tshirt_top, trouser, ...); `not_fashion_mnist` holds items that are
none of the ten, used to measure the unfamiliar-item score.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from fashion.classes import CLASS_NAMES, CLASS_SLUGS, NUM_CLASSES, UNFAMILIAR_SLUG
from fashion.infer import Classifier

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"}


def photo_files(root: Path) -> list[tuple[Path, int | None]]:
    """(file, class index) pairs; the index is None for the unfamiliar folder."""
    labels = {slug: i for i, slug in enumerate(CLASS_SLUGS)} | {UNFAMILIAR_SLUG: None}
    files = []
    for folder in sorted(p for p in Path(root).iterdir() if p.is_dir() and p.name in labels):
        files += [(f, labels[folder.name]) for f in sorted(folder.iterdir()) if f.suffix.lower() in PHOTO_SUFFIXES]
    return files


def auroc(positives: list[float], negatives: list[float]) -> float | None:
    """Probability that a random positive scores above a random negative (ties count half)."""
    if not positives or not negatives:
        return None
    pos, neg = np.asarray(positives)[:, None], np.asarray(negatives)[None, :]
    return float((pos > neg).mean() + 0.5 * (pos == neg).mean())


def evaluate_photos(classifier: Classifier, root: Path, progress: Callable[[int, int], None] | None = None) -> dict:
    files = photo_files(root)
    if not files:
        raise ValueError(f"No photos in class folders under {root} (expected folders like tshirt_top, trouser).")
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), int)
    known_scores, unfamiliar_scores, known_flags, unfamiliar_flags, errors, seconds = [], [], [], [], [], []
    for i, (file, label) in enumerate(files):
        start = time.perf_counter()
        answer = classifier.classify_file(file)
        seconds.append(time.perf_counter() - start)
        if progress:
            progress(i + 1, len(files))
        prediction = answer.prediction
        if prediction is None:
            errors.append({"file": str(file), "error": answer.message})
            continue
        if label is None:
            unfamiliar_scores.append(prediction.unfamiliar_score)
            unfamiliar_flags.append(prediction.unfamiliar)
        else:
            confusion[label, prediction.index] += 1
            known_scores.append(prediction.unfamiliar_score)
            known_flags.append(prediction.unfamiliar)
    counts = confusion.sum(1)
    present = [i for i in range(NUM_CLASSES) if counts[i]]
    return {
        "photos": len(files),
        "accuracy": float(confusion.trace() / max(counts.sum(), 1)),
        "per_class": {CLASS_NAMES[i]: float(confusion[i, i] / counts[i]) for i in present},
        "confusion": confusion.tolist(),
        "auroc": auroc(unfamiliar_scores, known_scores),
        "flagged_unfamiliar": float(np.mean(unfamiliar_flags)) if unfamiliar_flags else None,
        "flagged_known": float(np.mean(known_flags)) if known_flags else None,
        "seconds_per_photo": float(np.median(seconds)),
        "errors": errors,
    }
