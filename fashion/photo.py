"""Turn a photo of a garment into the 28x28 image a Fashion-MNIST model expects.

Fashion-MNIST items are catalogue shots, trimmed to the item, longest edge scaled to 28 px, centred,
negated (bright item on black). A phone photo has a background, so we first find the item (GrabCut
seeded with a central rectangle), then render the masked item the dataset's way. On the way we note what
the dataset never shows (a pair of shoes, a wearer, several items, an item cut off, too little contrast;
fashion/pose.py finds the first two) as `Findings`, from which fashion/advice.py words its advice.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from fashion import pose
from fashion.advice import Findings
from fashion.classes import IMAGE_SIZE
from fashion.images import ImageError, decode_image, to_gray
from fashion.render import fit_to_square

SEGMENT_SIDE = 160        # GrabCut runs at this size: enough for a garment's outline, and fast
# GrabCut's "probably the item" rectangle, this fraction in from each edge. People fill the frame, so
# items often touch an edge: a thin strip keeps them whole, and still leaves GrabCut a few pixels of
# background to learn from on every side (the insets tried: weights/README.md).
RECT_INSET = 0.02
GRABCUT_ITERATIONS = 4
# Mask parts thinner than this (in px at SEGMENT_SIDE, ~2% of the photo) are not cloth: hanger hooks,
# threads of a busy sheet. Opening removes them before we pick the largest blob.
THIN_PX = 3
# A separate blob at least this share of the item's area is another item beside it (several in one photo).
OTHER_ITEM_SHARE = 0.3
# Enclosed background larger than this share of the item is kept out of it (trouser legs that touch at the
# hem enclose the gap between them); smaller holes are prints or shadows GrabCut missed, and are filled.
HOLE_SHARE = 0.03
CUT_OFF_EDGE_SHARE = 0.35  # the item covers more than this share of two or more of the frame's sides: cut off
LOW_CONTRAST = 0.08       # colour distance, item against background, in [0, 1] (0: the same colour)
MIN_ITEM_FRACTION = 0.01  # a mask smaller than this share of the image means segmentation failed
MIN_SIDE = 8              # images thinner than this (1x1, 2000x3) hold no item to classify
STRETCH_PERCENTILES = (2, 98)   # the item's shades between these span [0, 1] when stretched: specks don't count
MIN_SHADING_RANGE = 64    # grey levels: a flatter item is stretched less, so a plain one stays plain and bright
RENDER_SIDE = 4 * IMAGE_SIZE   # the item is shrunk to this before rendering: detail enough for 28 px, and fast


class NoItemError(ImageError):
    """The image decoded fine but shows nothing we can classify (blank, or a sliver of pixels)."""


NO_ITEM = "We could not find an item of clothing in this picture. Try a photo with the whole item in view."


@dataclass
class PhotoInput:
    views: np.ndarray          # float32 (V, 28, 28) in [0, 1]: the renderings the answer is averaged over
    mask: np.ndarray           # bool (H, W) at the size of `rgb`: where we think the item is
    box: tuple[int, int, int, int]   # x0, y0, x1, y1 of the item in `rgb`
    rgb: np.ndarray            # the decoded photo the mask refers to
    findings: Findings = field(default_factory=Findings)   # what is unlike the dataset (fashion/advice.py)

    @property
    def image(self) -> np.ndarray:
        """The main rendering (28, 28): the one the app shows and explains."""
        return self.views[0]


def is_dataset_like(rgb: np.ndarray) -> bool:
    """A 28x28 image is taken as already in the dataset's form (e.g. an exported test image)."""
    return rgb.shape[0] == IMAGE_SIZE and rgb.shape[1] == IMAGE_SIZE


@dataclass
class Segmentation:
    mask: np.ndarray           # bool (H, W): the item, the largest blob, its small holes filled
    others: int                # separate blobs beside it of at least OTHER_ITEM_SHARE of its area


def segment(rgb: np.ndarray) -> Segmentation:
    """Find the item: GrabCut on a small copy, thin parts removed, the largest blob with small holes filled."""
    h, w = rgb.shape[:2]
    scale = SEGMENT_SIDE / max(h, w)
    small = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    dx, dy = max(1, round(sw * RECT_INSET)), max(1, round(sh * RECT_INSET))
    labels = np.zeros((sh, sw), np.uint8)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)   # GrabCut's colour models start from k-means: seed it so answers are repeatable
    cv2.grabCut(np.ascontiguousarray(small[..., ::-1]), labels, (dx, dy, sw - 2 * dx, sh - 2 * dy),
                bgd, fgd, GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_RECT)
    mask = np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (THIN_PX, THIN_PX)))
    item, others = largest_component(mask)
    return Segmentation(cv2.resize(item, (w, h), interpolation=cv2.INTER_NEAREST).astype(bool), others)


def largest_component(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """The biggest connected blob with its small holes filled (a print or a shadow on a garment), and how
    many other blobs are at least OTHER_ITEM_SHARE of its size. Holes of more than HOLE_SHARE of the blob
    stay open: background showing through, as between a pair of trousers' legs."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return np.zeros_like(mask), 0
    areas = stats[1:, cv2.CC_STAT_AREA]
    biggest = 1 + int(np.argmax(areas))
    others = int((areas >= OTHER_ITEM_SHARE * areas.max()).sum()) - 1
    blob = (labels == biggest).astype(np.uint8)
    return fill_small_holes(blob), others


def fill_small_holes(blob: np.ndarray) -> np.ndarray:
    """The blob with the holes inside it filled, except those of more than HOLE_SHARE of its area."""
    contours, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = cv2.drawContours(np.zeros_like(blob), contours, -1, 1, thickness=cv2.FILLED)
    holes = filled & (1 - blob)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(holes, connectivity=4)
    large = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] > HOLE_SHARE * blob.sum()]
    return np.where(np.isin(labels, large), 0, filled).astype(np.uint8)


@dataclass(frozen=True)
class Rendering:
    """One way to draw the masked item as a dataset image; the defaults are the main one, shown in the app."""
    stretch: bool = True          # stretch the item's shading over [0, 1]; False: plain inverted luminance
    width: float = 1.0            # share of its width the item keeps: below 1 squeezes it sideways


# Two ways to shade the item, their answers averaged: stretched over [0, 1], and plain inverted luminance
# as the dataset was made (a white shirt stays dim). How they were chosen: weights/README.md, "On real photos".
SHADINGS = (
    Rendering(),
    Rendering(stretch=False),
)
# The dataset's garments are narrower for their height than photographed ones, often laid flat with the
# sleeves out (about 0.8 as wide): each shading is also rendered squeezed to that width (weights/README.md).
SQUEEZE = 0.8
RENDERINGS = SHADINGS + tuple(replace(how, width=SQUEEZE) for how in SHADINGS)


def crop_item(gray: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The item's box, negated (bright item on black) and shrunk to at most RENDER_SIDE px; and its mask there."""
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    item, inside = 255.0 - gray[y0:y1, x0:x1], mask[y0:y1, x0:x1]
    h, w = item.shape
    if max(h, w) <= RENDER_SIDE:
        return item, inside
    scale = RENDER_SIDE / max(h, w)
    return resize_item(item, inside, (max(1, round(w * scale)), max(1, round(h * scale))))


def resize_item(item: np.ndarray, inside: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The item and its mask at `size` (width, height), by area; a sliver of a mask still keeps its pixels."""
    item = cv2.resize(item, size, interpolation=cv2.INTER_AREA)
    share = cv2.resize(inside.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    kept = share > 0.5
    return item, kept if kept.any() else share > 0


def render_item(item: np.ndarray, inside: np.ndarray, how: Rendering = Rendering()) -> np.ndarray:
    """Render a cropped item (from crop_item) one way: stretch its shading, longest edge to 28 px, centred on black."""
    if how.width != 1:
        item, inside = squeeze(item, inside, how.width)
    if how.stretch:
        # The item is negated: its darkest shade in the photo becomes white, and background that shows
        # through it (between a sandal's straps) black, as in the dataset.
        low, high = np.percentile(item[inside], STRETCH_PERCENTILES)
        shaded = np.clip(1 - (high - item) / max(high - low, MIN_SHADING_RANGE), 0, 1)
    else:
        shaded = item / 255.0
    return fit_to_square(np.where(inside, shaded, 0.0).astype(np.float32))


def squeeze(item: np.ndarray, inside: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray]:
    """The item and its mask at `width` of their width, the height kept."""
    h, w = item.shape
    return resize_item(item, inside, (max(1, round(w * width)), h))


def all_renderings(gray: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The item in every one of RENDERINGS: (len(RENDERINGS), 28, 28). Mirroring is fashion/infer.py's."""
    item, inside = crop_item(gray, mask)
    return np.stack([render_item(item, inside, how) for how in RENDERINGS])


def prepare_photo(rgb: np.ndarray) -> PhotoInput:
    """Find the item in an RGB photo and render it as a 28x28 dataset-style image."""
    h, w = rgb.shape[:2]
    gray = to_gray(rgb)
    if is_dataset_like(rgb):
        # Already dataset-shaped; flip polarity if it is dark-on-light like a scan or a drawing.
        border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
        image = (gray / 255.0 if border.mean() < 128 else 1.0 - gray / 255.0).astype(np.float32)
        return PhotoInput(image[None], np.ones((h, w), bool), (0, 0, w, h), rgb)
    if min(h, w) < MIN_SIDE or gray.std() < 2.0:
        raise NoItemError(NO_ITEM)
    found = segment(rgb)
    mask, findings = found.mask, Findings(several=found.others > 0)
    if mask.mean() < MIN_ITEM_FRACTION:
        # GrabCut lost the item, typically one that fills the frame and touches its edges.
        mask = np.ones((h, w), bool)
    findings.cut_off = runs_off_the_frame(mask)
    findings.low_contrast = contrast(rgb, mask) < LOW_CONTRAST
    mask, findings.worn = keep_if_found(mask, pose.below_face(mask, pose.find_face(gray)))
    mask, findings.pair = keep_if_found(mask, pose.one_of_pair(mask))
    ys, xs = np.nonzero(mask)
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    return PhotoInput(all_renderings(gray, mask), mask, box, rgb, findings)


def keep_if_found(mask: np.ndarray, better: np.ndarray | None) -> tuple[np.ndarray, bool]:
    """The better mask a pose step found, and True; or the mask as it was, and False."""
    return (mask, False) if better is None else (better, True)


def runs_off_the_frame(mask: np.ndarray) -> bool:
    """Whether the item covers more than CUT_OFF_EDGE_SHARE of two or more of the frame's sides."""
    sides = (mask[0], mask[-1], mask[:, 0], mask[:, -1])
    return sum(bool(side.mean() > CUT_OFF_EDGE_SHARE) for side in sides) >= 2


def contrast(rgb: np.ndarray, mask: np.ndarray) -> float:
    """How far the item's mean colour lies from the background's, in CIELAB, scaled to [0, 1]."""
    if mask.all():
        return 0.0
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    return float(np.linalg.norm(lab[mask].mean(0) - lab[~mask].mean(0)) / 255)


def read_photo(source) -> PhotoInput:
    """The one path from a file (path, bytes or upload) to the model's input: decode safely, find the item."""
    return prepare_photo(decode_image(source))
