"""Measure the photo path on a folder-per-class tree of real photos (like ../shared/photos).

Folders are named by class slug (tshirt_top, trouser, ...); `not_fashion_mnist` holds items that are
none of the ten, used to measure the unfamiliar-item score. A `manifest.csv` beside them (columns `file`
and `kind`: phone, product, worn) splits the figures by the kind of photo.

Besides accuracy, two shares say whether the answers can be trusted: a photo is *misled* when its answer
is wrong and carries neither the unfamiliar warning nor advice; a *false alarm* is a right answer that
carries one.
"""
from __future__ import annotations

import csv
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fashion.classes import CLASS_NAMES, CLASS_SLUGS, NUM_CLASSES, UNFAMILIAR_SLUG
from fashion.infer import Answer, Classifier

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"}
UNKNOWN_KIND = "unknown"      # photos the manifest does not list (or trees without one)


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


def photo_kinds(root: Path) -> dict[str, str]:
    """Each photo's kind by its path under `root` (as manifest.csv writes it), or {} without a manifest."""
    manifest = Path(root) / "manifest.csv"
    if not manifest.is_file():
        return {}
    with manifest.open(newline="") as f:
        return {row["file"]: row["kind"] for row in csv.DictReader(f) if row.get("file") and row.get("kind")}


@dataclass
class Outcome:
    """What one photo got."""
    label: int | None          # its class; None for an item none of the ten
    kind: str
    predicted: int
    warned: bool               # the unfamiliar-item warning
    advice: str | None         # the advice's kind
    score: float               # the unfamiliar score
    seconds: float

    @property
    def right(self) -> bool:
        return self.predicted == self.label

    @property
    def told(self) -> bool:
        """Whether the answer came with a caution of either sort."""
        return self.warned or self.advice is not None


def summary(outcomes: list[Outcome]) -> dict:
    """Right, misled, false alarms, advice by kind, AUROC and time of a group of photos."""
    known = [o for o in outcomes if o.label is not None]
    right = [o for o in known if o.right]
    others = [o for o in outcomes if o.label is None]
    return {
        "photos": len(outcomes), "in_class": len(known), "right": len(right),
        "accuracy": len(right) / len(known) if known else None,
        "misled": sum(not o.right and not o.told for o in known) / len(known) if known else None,
        "false_alarms": sum(o.told for o in right) / len(right) if right else None,
        "warned": sum(o.warned for o in known) / len(known) if known else None,
        "advice": dict(Counter(o.advice for o in outcomes if o.advice)),
        "auroc": auroc([o.score for o in others], [o.score for o in known]),
        "seconds_per_photo": float(np.median([o.seconds for o in outcomes])) if outcomes else None,
    }


def outcome(answer: Answer, label: int | None, kind: str, seconds: float) -> Outcome:
    p = answer.prediction
    return Outcome(label, kind, p.index, p.unfamiliar, answer.advice.kind if answer.advice else None,
                   p.unfamiliar_score, seconds)


def evaluate_photos(classifier: Classifier, root: Path, progress: Callable[[int, int], None] | None = None) -> dict:
    files = photo_files(root)
    if not files:
        raise ValueError(f"No photos in class folders under {root} (expected folders like tshirt_top, trouser).")
    kinds = photo_kinds(root)
    outcomes, errors = [], []
    for i, (file, label) in enumerate(files):
        start = time.perf_counter()
        answer = classifier.classify_file(file)
        seconds = time.perf_counter() - start
        if progress:
            progress(i + 1, len(files))
        if answer.prediction is None:
            errors.append({"file": str(file), "error": answer.message})
            continue
        kind = kinds.get(file.relative_to(root).as_posix(), UNKNOWN_KIND)
        outcomes.append(outcome(answer, label, kind, seconds))
    return report(outcomes, len(files), errors)


def report(outcomes: list[Outcome], photos: int, errors: list[dict]) -> dict:
    """The whole set's figures, then the same per class, per kind and per class within each kind."""
    known = [o for o in outcomes if o.label is not None]
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), int)
    for o in known:
        confusion[o.label, o.predicted] += 1
    counts = confusion.sum(1)
    present = [i for i in range(NUM_CLASSES) if counts[i]]
    unfamiliar = [o for o in outcomes if o.label is None]
    kinds = sorted({o.kind for o in outcomes})
    return {
        "photos": photos,
        "accuracy": float(confusion.trace() / max(counts.sum(), 1)),
        "per_class": {CLASS_NAMES[i]: float(confusion[i, i] / counts[i]) for i in present},
        "confusion": confusion.tolist(),
        "auroc": auroc([o.score for o in unfamiliar], [o.score for o in known]),
        "flagged_unfamiliar": float(np.mean([o.warned for o in unfamiliar])) if unfamiliar else None,
        "flagged_known": float(np.mean([o.warned for o in known])) if known else None,
        "seconds_per_photo": float(np.median([o.seconds for o in outcomes])) if outcomes else None,
        "errors": errors,
        "overall": summary(outcomes),
        "classes": {CLASS_NAMES[i]: summary([o for o in known if o.label == i]) for i in present},
        "kinds": {kind: summary([o for o in outcomes if o.kind == kind]) for kind in kinds},
        "kind_classes": {kind: {CLASS_NAMES[i]: summary([o for o in known if o.kind == kind and o.label == i])
                                for i in present if any(o.kind == kind and o.label == i for o in known)}
                         for kind in kinds},
    }
