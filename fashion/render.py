"""The dataset's way of drawing an item, for the photo and sketch paths: longest edge to 28 px, centred on black."""
from __future__ import annotations

import cv2
import numpy as np

from fashion.classes import IMAGE_SIZE


def fit_to_square(item: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    """Scale so the longest edge spans `size` px (area resampling), centred on a black square."""
    h, w = item.shape
    scale = size / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = cv2.resize(item, (nw, nh), interpolation=cv2.INTER_AREA)
    out = np.zeros((size, size), np.float32)
    top, left = (size - nh) // 2, (size - nw) // 2
    out[top:top + nh, left:left + nw] = small
    return np.clip(out, 0.0, 1.0)
