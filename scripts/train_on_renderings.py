"""Experiment for the photo path (weights/README.md, "Tried next"): train a network on Fashion-MNIST plus
the same images rendered as photos and sent back through the photo path's own cut-out and rendering.

Each training image, upscaled to 112 px, is widened or narrowed, tilted, its outline eroded or dilated or
given a leak of background, painted as a garment of some tone (either polarity) under a lighting gradient,
with stripes, print blocks or wrinkles, and then rendered by `fashion.photo`'s `crop_item` and
`render_item` in a random one of its renderings. The known mask stands in for GrabCut (60,000 GrabCuts
would take an hour here), so what segmentation gets wrong is only imitated (the leaks, the eroded outline).

    .venv/bin/python scripts/train_on_renderings.py render --out runs/renderings.pt     # ~1 min
    .venv/bin/python scripts/train_on_renderings.py train runs/renderings.pt --out runs/rendered.safetensors
    .venv/bin/python scripts/train_on_renderings.py member 0 --out runs/shipped_member0.safetensors
    .venv/bin/python scripts/train_on_renderings.py grid runs/renderings.pt --out runs/renderings.png

`train` runs the shipped recipe for one member (weights/README.md, "How it was made") for the same number
of steps, on the 60,000 originals and their 60,000 renderings together; `member` saves one member of the
shipped pair alone, the control. Then `fit-unfamiliar` and `evaluate-photos --model` for each.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fashion import cli
from fashion.classes import DEFAULT_WEIGHTS
from fashion.data import FashionMNIST, load_fashion_mnist
from fashion.photo import RENDERINGS, crop_item, render_item
from fashion.trained import scored_card
from fashion.weights import load_model

SIDE = 112                 # the dataset image is drawn at this size before it is "photographed"
CANVAS = 168               # room for the widest, tilted item
WIDTHS = (0.75, 1.4)       # the item's width against the dataset's: photographed garments lie wider
MAX_TILT = 8.0             # degrees


def photographed(image: np.ndarray, rng: np.random.Generator, texture: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A 28x28 uint8 dataset image as a photo's grey levels and the item's mask, on a CANVAS square."""
    tilt = rng.uniform(-MAX_TILT, MAX_TILT)
    shade = warped(image, rng.uniform(*WIDTHS), tilt)
    inside = outline((shade > 0.05).astype(np.uint8), rng).astype(bool)
    return paint(shade, inside, rng, texture), inside


def warped(image: np.ndarray, width: float, tilt: float) -> np.ndarray:
    """The dataset image at SIDE px, tilted by `tilt` degrees about its centre, then `width` times as wide,
    centred on a CANVAS square: shades in [0, 1]."""
    big = cv2.resize(image.astype(np.float32), (SIDE, SIDE), interpolation=cv2.INTER_CUBIC).clip(0, 255)
    linear = np.diag([width, 1.0]) @ cv2.getRotationMatrix2D((0, 0), tilt, 1.0)[:, :2]
    turn = np.hstack([linear, (CANVAS / 2 - linear @ np.full(2, SIDE / 2))[:, None]])
    return cv2.warpAffine(big, turn, (CANVAS, CANVAS), flags=cv2.INTER_LINEAR) / 255.0


def outline(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The mask as segmentation might give it: eroded or dilated, sometimes with a leak of background."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (int(rng.integers(3, 8)),) * 2)
    choice = rng.random()
    if choice < 0.3:
        shaped = cv2.erode(mask, kernel)
        mask = shaped if shaped.any() else mask       # a thin item is not eroded away
    elif choice < 0.6:
        mask = cv2.dilate(mask, kernel)
    if rng.random() < 0.2:         # background taken in at the edge
        ys, xs = np.nonzero(mask)
        k = int(rng.integers(len(ys)))
        axes = tuple(int(a) for a in rng.integers(8, 30, 2))
        cv2.ellipse(mask, (int(xs[k]), int(ys[k])), axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
    return mask


def paint(shade: np.ndarray, inside: np.ndarray, rng: np.random.Generator, texture: bool = True) -> np.ndarray:
    """Photo grey levels (0-255, float) of an item whose dataset shading is `shade` (1: dark in the photo);
    `texture`: with stripes, prints and wrinkles painted on some."""
    tone = rng.uniform(30, 225)
    depth = rng.uniform(0.3, 1.0) * (1 if rng.random() < 0.7 else -1)   # sometimes shading the other way
    gray = tone + depth * 120 * (shade[inside].mean() - shade)
    yy, xx = np.mgrid[0:CANVAS, 0:CANVAS].astype(np.float32) / CANVAS - 0.5
    angle = rng.uniform(0, np.pi)
    gray *= 1 + rng.uniform(0, 0.4) * (np.cos(angle) * xx + np.sin(angle) * yy)     # light from one side
    if texture and rng.random() < 0.3:          # stripes
        period, phase = rng.uniform(5, 20), rng.uniform(0, 2 * np.pi)
        turn = rng.uniform(0, np.pi)
        waves = np.sin((np.cos(turn) * xx + np.sin(turn) * yy) * CANVAS * 2 * np.pi / period + phase)
        gray += rng.uniform(20, 70) * np.sign(waves)
    if texture and rng.random() < 0.25:         # a print block
        ys, xs = np.nonzero(inside)
        cy, cx = int(np.median(ys)), int(np.median(xs))
        half = tuple(int(a) for a in rng.integers(6, 25, 2))
        gray[max(0, cy - half[0]):cy + half[0], max(0, cx - half[1]):cx + half[1]] = rng.uniform(0, 255)
    if texture and rng.random() < 0.5:          # wrinkles
        noise = cv2.GaussianBlur(rng.standard_normal((CANVAS, CANVAS)).astype(np.float32), (0, 0), rng.uniform(2, 6))
        gray += rng.uniform(10, 40) * noise / (noise.std() + 1e-6)
    background = rng.uniform(0, 255)
    return np.where(inside, gray, background).clip(0, 255).astype(np.float32)


def render_one(image: np.ndarray, rng: np.random.Generator, texture: bool = True) -> np.ndarray:
    """One dataset image as the photo path would see it: 28x28 uint8."""
    gray, mask = photographed(image, rng, texture)
    item, inside = crop_item(gray, mask)
    view = render_item(item, inside, RENDERINGS[int(rng.integers(len(RENDERINGS)))])
    return np.round(view * 255).astype(np.uint8)


def cmd_render(args) -> None:
    images = load_fashion_mnist().train_images.numpy()
    rng = np.random.default_rng(args.seed)
    out = np.stack([render_one(image, rng, not args.no_texture)
                    for image in tqdm(images, desc="rendering", unit="image")])
    torch.save(torch.from_numpy(out), args.out)
    print(f"{len(out)} renderings saved to {args.out}")


def shipped_config():
    _, card = load_model(DEFAULT_WEIGHTS)
    return card.config


def cmd_train(args) -> None:
    data = load_fashion_mnist()
    renderings = torch.load(args.renderings)
    both = FashionMNIST(torch.cat([data.train_images, renderings]), torch.cat([data.train_labels] * 2),
                        data.test_images, data.test_labels)
    shipped = shipped_config()
    steps = shipped.epochs * shipped.steps_per_epoch()     # the shipped run's steps, over twice the images
    config = replace(shipped, seed=args.seed, max_steps=steps,
                     epochs=-(-steps // shipped.steps_per_epoch(len(both.train_images))))
    done = cli.train_with_progress(config, both, torch.device("cpu"), "originals + renderings")
    card = scored_card(done.model, config, data, False, done.elapsed_s, done.step, done.device)
    cli.save_and_say(done.model, card, args.out)


def cmd_member(args) -> None:
    pair, card = load_model(DEFAULT_WEIGHTS)
    member = pair.members[args.index]
    config = replace(card.config, seed=card.config.seed + args.index)
    cli.save_and_say(member, scored_card(member, config, load_fashion_mnist(), False, card.training_time_s / 2,
                                         card.steps // 2), args.out)


def cmd_grid(args) -> None:
    images = load_fashion_mnist().train_images[:40].numpy()
    renderings = torch.load(args.renderings)[:40].numpy()
    rows = [np.concatenate(list(block), 1) for block in (images[:20], renderings[:20], images[20:], renderings[20:])]
    cv2.imwrite(str(args.out), cv2.resize(np.concatenate(rows, 0), None, fx=3, fy=3,
                                          interpolation=cv2.INTER_NEAREST))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("render")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-texture", action="store_true", help="no stripes, prints or wrinkles: shape and light only")
    p.set_defaults(run=cmd_render)
    p = sub.add_parser("train")
    p.add_argument("renderings", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=cmd_train)
    p = sub.add_parser("member")
    p.add_argument("index", type=int)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(run=cmd_member)
    p = sub.add_parser("grid")
    p.add_argument("renderings", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(run=cmd_grid)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
