"""How the item lies in the photo, past its mask: a pair of shoes, a person wearing it.

Fashion-MNIST shows one item on its own. Photos often don't: shoes come in pairs, side by side (seen
from above, a left and a right shoe are mirror images of each other), and a worn garment has a head
above it. Each step here takes the mask from fashion/photo.py's `segment` and returns the mask of the
one item the dataset would show, or None when the photo is not of that kind.
"""
from __future__ import annotations

import queue

import cv2
import numpy as np

# The two deepest notches of the outline, where two touching shoes meet at the toes and the heels, must
# each be at least this deep (share of the square root of the item's area) to be taken for a pair.
PAIR_MIN_NOTCH = 0.08
# The halves either side of the line between the notches must match as mirror images this well (IoU of
# one with the other reflected across the line): pullovers laid flat, whose halves are not, mostly fail.
PAIR_MIN_MIRROR_IOU = 0.7
# Each half must be a shoe lying along the cut: this much longer than wide, its long side within this
# angle of the cut (the halves of a pullover cut at the armpits are neither). With all three tests, on
# ../shared/photos: 23 of the 108 shoe photos are taken for pairs, and 4 of the 312 others.
SHOE_MIN_ELONGATION = 1.7
SHOE_MAX_OFF_CUT_DEGREES = 25
PAIR_SIDE = 160          # the pair test runs on a copy this size: notches and halves need no more

# Haar cascade for frontal faces, shipped in the opencv-python-headless wheel (cv2/data, 540 KB).
FACE_CASCADE = "haarcascade_frontalface_alt2.xml"
# Faces are looked for on a copy this size (20 ms a photo). At 240 px as many worn photos' faces are found
# (29 of 36) in half the time, but other faces on two phone photos cost their right answers.
FACE_SIDE = 320
FACE_MIN_PX = 12
# A face must lie in the top half of the item's box, as a head above a worn garment does; the garment is
# taken to start this many face heights below the face's top (the chin and neck).
FACE_TO_GARMENT = 1.25
MIN_GARMENT_SHARE = 0.2  # a cut that keeps less of the mask than this was not above a garment: keep it whole


def shrink(mask: np.ndarray, side: int) -> np.ndarray:
    h, w = mask.shape
    scale = min(1.0, side / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)


def mirror_halves(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The mask cut along the line between its two deepest notches, if they are deep and the two sides are
    mirror images of each other across that line (a pair of shoes side by side); else None."""
    m = mask.astype(np.uint8)
    contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    outline = max(contours, key=cv2.contourArea)
    if len(outline) < 8:
        return None
    defects = cv2.convexityDefects(outline, cv2.convexHull(outline, returnPoints=False))
    if defects is None or len(defects) < 2:
        return None
    defects = defects.reshape(-1, 4)
    defects = defects[np.argsort(-defects[:, 3])]
    if defects[1, 3] / 256 < PAIR_MIN_NOTCH * np.sqrt(m.sum()):
        return None
    p, q = outline[defects[0, 2], 0].astype(float), outline[defects[1, 2], 0].astype(float)
    if np.linalg.norm(q - p) < 1:
        return None
    along = (q - p) / np.linalg.norm(q - p)
    normal = np.array([-along[1], along[0]])
    ys, xs = np.mgrid[:m.shape[0], :m.shape[1]]
    left = (m > 0) & ((xs - p[0]) * normal[0] + (ys - p[1]) * normal[1] > 0)
    right = (m > 0) & ~left
    reflect = np.eye(2) - 2 * np.outer(normal, normal)
    affine = np.hstack([reflect, (p - reflect @ p)[:, None]])
    mirrored = cv2.warpAffine(right.astype(np.uint8), affine, m.shape[::-1], flags=cv2.INTER_NEAREST) > 0
    if (left & mirrored).sum() < PAIR_MIN_MIRROR_IOU * max((left | mirrored).sum(), 1):
        return None
    cut_degrees = np.degrees(np.arctan2(along[1], along[0]))
    if not all(shoe_shaped(half, cut_degrees) for half in (left, right)):
        return None
    return left, right


def shoe_shaped(half: np.ndarray, cut_degrees: float) -> bool:
    """Whether one side of a cut is a shoe lying along the cut: long and narrow, its long side with the cut."""
    contours, _ = cv2.findContours(half.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return False
    _, (w, h), degrees = cv2.minAreaRect(max(contours, key=cv2.contourArea))
    long_degrees = degrees if w >= h else degrees + 90
    off = abs((long_degrees - cut_degrees + 90) % 180 - 90)
    return max(w, h) >= SHOE_MIN_ELONGATION * max(min(w, h), 1) and off <= SHOE_MAX_OFF_CUT_DEGREES


def one_of_pair(mask: np.ndarray) -> np.ndarray | None:
    """For a pair of shoes side by side, the mask of the larger one (at the mask's size); else None."""
    halves = mirror_halves(shrink(mask, PAIR_SIDE))
    if halves is None:
        return None
    one = max(halves, key=np.sum).astype(np.uint8)
    return cv2.resize(one, mask.shape[::-1], interpolation=cv2.INTER_NEAREST).astype(bool) & mask


# Face detectors not in use. One is not safe to share between threads, and loading one takes 7 ms: a
# thread-local one was loaded again on every rerun, since Streamlit runs each rerun in a new thread.
_detectors: queue.SimpleQueue = queue.SimpleQueue()


def find_face(gray: np.ndarray) -> tuple[int, int, int, int] | None:
    """The largest frontal face in a grey photo as (x, y, w, h) in its pixels, or None."""
    try:
        detector = _detectors.get_nowait()
    except queue.Empty:
        detector = cv2.CascadeClassifier(cv2.data.haarcascades + FACE_CASCADE)
    scale = min(1.0, FACE_SIDE / max(gray.shape))
    small = cv2.resize(np.clip(gray, 0, 255).astype(np.uint8), None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    try:
        faces = detector.detectMultiScale(small, 1.1, 4, minSize=(FACE_MIN_PX, FACE_MIN_PX))
    finally:
        _detectors.put(detector)
    if len(faces) == 0:
        return None
    x, y, w, h = max(faces, key=lambda f: f[2] * f[3])
    return tuple(round(v / scale) for v in (x, y, w, h))


def below_face(mask: np.ndarray, face: tuple[int, int, int, int] | None) -> np.ndarray | None:
    """For a garment worn by a person, the mask with the head and neck cut off; None when `face` is not a
    head above the item (no face, or one lower than the top half of the item's box)."""
    if face is None:
        return None
    x, y, w, h = face
    rows = np.nonzero(mask.any(1))[0]
    top, bottom = rows.min(), rows.max()
    centre_x = x + w / 2
    columns = np.nonzero(mask.any(0))[0]
    if y + h / 2 > (top + bottom) / 2 or not columns.min() <= centre_x <= columns.max():
        return None
    garment = mask.copy()
    garment[:min(len(mask), round(y + FACE_TO_GARMENT * h))] = False
    return garment if garment.sum() > MIN_GARMENT_SHARE * mask.sum() else None
