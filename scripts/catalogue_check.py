"""Does the photo path work for all ten classes? Fashion-MNIST test images, posed as catalogue photos.

Run `.venv/bin/python scripts/catalogue_check.py [--per-class 40] [--floor] [--model M]` from the project folder.
Our real photos (../shared/photos) hold five classes and no shoes or bags. This check takes test
images of every class, turns each back into a photo of the kind the dataset was made from (enlarged
ten times, negated to a dark item on white, with a white margin; with --floor, laid on a floor of a
random colour, unevenly lit and grainy instead), and sends it through the whole photo path: find the
item, render its views, classify. It prints the accuracy per class, and for comparison the model's
accuracy on the same 28x28 images given directly.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fashion.classes import CLASS_NAMES, DEFAULT_WEIGHTS, NUM_CLASSES  # noqa: E402
from fashion.data import load_fashion_mnist  # noqa: E402
from fashion.infer import Classifier  # noqa: E402
from fashion.photo import prepare_photo  # noqa: E402


def as_catalogue_photo(image: np.ndarray) -> np.ndarray:
    """A 28x28 dataset image as an RGB photo: 280 px, a dark item on white, a white margin around it."""
    big = cv2.resize(image, (280, 280), interpolation=cv2.INTER_CUBIC)
    framed = cv2.copyMakeBorder(255 - big, 40, 40, 60, 60, cv2.BORDER_CONSTANT, value=255)
    return np.repeat(framed[..., None], 3, axis=2)


def on_a_floor(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The same item laid on a floor of a random colour, lit more from one side, with some grain."""
    big = cv2.resize(image, (280, 280), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    cover = np.clip(big / 40.0, 0, 1)[..., None]        # the dataset's black is where the item is not
    light = np.linspace(-25, 25, 400)[None, :, None] * rng.choice([-1, 1])
    floor = np.clip(rng.uniform(60, 200, 3) + light + rng.normal(0, 8, (360, 400, 3)), 0, 255)
    patch = floor[40:320, 60:340]
    floor[40:320, 60:340] = patch * (1 - cover) + (255 - big)[..., None] * cover
    return floor.astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=40, help="test images of each class (default 40)")
    parser.add_argument("--floor", action="store_true", help="lay each item on a coloured floor, not on white")
    parser.add_argument("--model", type=Path, default=DEFAULT_WEIGHTS, help="a .safetensors model (default: shipped)")
    args = parser.parse_args()
    data, classifier = load_fashion_mnist(), Classifier.load(args.model)
    rng = np.random.default_rng(0)
    labels = data.test_labels.numpy()
    chosen = np.concatenate([rng.choice(np.nonzero(labels == c)[0], args.per_class, replace=False)
                             for c in range(NUM_CLASSES)])
    pose = (lambda image: on_a_floor(image, rng)) if args.floor else as_catalogue_photo
    photos = [prepare_photo(pose(data.test_images[i].numpy())) for i in chosen]
    as_photos = np.array([classifier.classify_photo(photo).index for photo in photos])
    direct = classifier.probs(data.test_images[chosen]).argmax(1).numpy()
    truth = labels[chosen]
    print(f"{len(chosen)} test images: {np.mean(as_photos == truth):.1%} through the photo path, "
          f"{np.mean(direct == truth):.1%} given directly")
    for c, name in enumerate(CLASS_NAMES):
        print(f"  {name:12s} {np.mean(as_photos[truth == c] == c):.0%}")


if __name__ == "__main__":
    main()
