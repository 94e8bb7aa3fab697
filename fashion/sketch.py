"""Turn a drawing from the sketch canvas into the 28x28 image a Fashion-MNIST model expects.

People draw dark strokes on white, often only an item's outline. Fashion-MNIST items are bright on
black, filled, trimmed to the item and scaled so their longest edge is 28 px. So we measure the ink,
fill closed outlines (whatever the outside cannot reach is inside), thicken thin strokes so they
survive the shrink, and render the result the dataset's way.
"""
from __future__ import annotations

import cv2
import numpy as np

from fashion.classes import IMAGE_SIZE
from fashion.images import to_gray
from fashion.render import fit_to_square

INK_THRESHOLD = 0.5       # darkness above which a canvas pixel counts as part of a stroke
MIN_INK_FRACTION = 5e-4   # less ink than this share of the canvas is a stray click, not a drawing
MIN_EXTENT = 0.06         # a drawing smaller than this share of the canvas side is a dot, not an item
# Dataset items are about 0.65 bright inside (mean over the train set's item pixels, most classes
# 0.6-0.74) and reach 1.0 somewhere; strokes stay at full brightness so outlines remain visible.
FILL_VALUE = 0.65
STROKE_VALUE = 1.0
MIN_STROKE_PX = 1.5       # strokes narrower than this many output pixels are thickened to it
GAP_TOLERANCE = 0.01      # outline gaps up to this share of the drawing's size still count as closed
NOTHING_DRAWN = "Draw something… an item of clothing, as large as the canvas allows."


def ink(rgba: np.ndarray) -> np.ndarray:
    """Darkness in [0, 1] per pixel: the drawing composited on white, negated."""
    rgba = np.asarray(rgba)
    if rgba.ndim == 2:
        return 1.0 - rgba.astype(np.float32) / 255.0
    rgb = rgba[..., :3].astype(np.float32) / 255.0
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0 if rgba.shape[-1] == 4 else 1.0
    on_white = rgb * alpha + (1.0 - alpha)       # a transparent background reads as paper
    return 1.0 - to_gray(on_white)


def bounding_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """y0, y1, x0, x1 of the True pixels (end-exclusive)."""
    ys, xs = np.nonzero(mask)
    return int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1


def stroke_width(strokes: np.ndarray) -> float:
    """Typical stroke width in canvas pixels: a thin stroke's area is about width x half its perimeter."""
    contours, _ = cv2.findContours(strokes.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, closed=True) for c in contours)
    return 2.0 * float(strokes.sum()) / max(perimeter, 1.0)


def disk(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def fill_inside(strokes: np.ndarray, gap: int) -> np.ndarray:
    """Pixels enclosed by the strokes: not reachable from the border once gaps up to 2*gap px are bridged."""
    walls = cv2.dilate(strokes.astype(np.uint8), disk(gap)) if gap > 0 else strokes.astype(np.uint8)
    walls = cv2.copyMakeBorder(walls, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)  # the outside surrounds it all
    flood = walls.copy()
    cv2.floodFill(flood, np.zeros((flood.shape[0] + 2, flood.shape[1] + 2), np.uint8), (0, 0), 2)
    shape = (flood != 2).astype(np.uint8)[1:-1, 1:-1]
    if gap > 0:
        shape = cv2.erode(shape, disk(gap))       # undo the bridging's growth at the outer edge
    return shape.astype(bool) & ~strokes


def is_drawing(strokes: np.ndarray) -> bool:
    """Enough ink, spread over enough of the canvas, to be an item rather than a stray click or dot."""
    h, w = strokes.shape
    if strokes.sum() < MIN_INK_FRACTION * h * w:
        return False
    y0, y1, x0, x1 = bounding_box(strokes)
    return max(y1 - y0, x1 - x0) >= MIN_EXTENT * max(h, w)


def crop(darkness: np.ndarray, pad_fraction: float) -> np.ndarray:
    """The drawing's bounding box, with a margin for thickening and gap bridging to work in."""
    y0, y1, x0, x1 = bounding_box(darkness > INK_THRESHOLD)
    pad = int(np.ceil(pad_fraction * max(y1 - y0, x1 - x0))) + 2
    return np.pad(darkness[y0:y1, x0:x1], pad)


def thicken(darkness: np.ndarray, min_width: float) -> np.ndarray:
    """Widen strokes narrower than min_width canvas pixels, so they survive the shrink to 28 px."""
    grow = int(round(max(0.0, min_width - stroke_width(darkness > INK_THRESHOLD)) / 2))
    return cv2.dilate(darkness, disk(grow)) if grow else darkness


def shade(darkness: np.ndarray, rim: float, gap: int) -> np.ndarray:
    """Dataset-like brightness: enclosed and coloured-in areas at FILL_VALUE, lines at STROKE_VALUE."""
    strokes = darkness > INK_THRESHOLD
    inside = fill_inside(strokes, gap)
    # Areas coloured in solid are the item's body, not its outline: only their rim stays stroke-bright.
    solid = cv2.distanceTransform(strokes.astype(np.uint8), cv2.DIST_L2, 3) > rim
    lines = np.where(solid, 0.0, np.clip(darkness, 0.0, 1.0))
    return np.maximum(STROKE_VALUE * lines, FILL_VALUE * (inside | solid)).astype(np.float32)


def sketch_to_input(rgba: np.ndarray) -> np.ndarray | None:
    """A canvas drawing (RGBA or RGB uint8, dark on white) as a float (28, 28) image; None if empty."""
    darkness = ink(rgba)
    if not is_drawing(darkness > INK_THRESHOLD):
        return None
    y0, y1, x0, x1 = bounding_box(darkness > INK_THRESHOLD)
    longest = max(y1 - y0, x1 - x0)
    min_width = MIN_STROKE_PX * longest / IMAGE_SIZE      # canvas pixels that become MIN_STROKE_PX
    darkness = thicken(crop(darkness, (min_width + GAP_TOLERANCE * longest) / longest), min_width)
    item = shade(darkness, rim=min_width, gap=int(round(GAP_TOLERANCE * longest)))
    y0, y1, x0, x1 = bounding_box(item > 0.05)             # trim again: thickening moved the edges
    image = fit_to_square(item[y0:y1, x0:x1])
    return image / max(float(image.max()), 1e-6)           # the dataset's items all reach full brightness
