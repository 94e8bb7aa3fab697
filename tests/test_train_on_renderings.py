"""The photo-rendering experiment's renderer (scripts/train_on_renderings.py) on made-up dataset images."""
import numpy as np

from scripts.train_on_renderings import render_one, warped


def tall_item() -> np.ndarray:
    """A dataset-like image: a bright 10 px wide, 24 px high block, shaded top to bottom, on black."""
    image = np.zeros((28, 28), np.uint8)
    image[2:26, 9:19] = np.linspace(120, 250, 24, dtype=np.uint8)[:, None]
    return image


def extent(view: np.ndarray) -> tuple[int, int]:
    """Height and width of the item's box: pixels above a tenth of full brightness."""
    ys, xs = np.nonzero(view > 0.1 * view.max())
    return ys.max() - ys.min() + 1, xs.max() - xs.min() + 1


def test_an_item_is_widened_and_tilted_about_its_centre():
    as_is, wide = extent(warped(tall_item(), 1.0, 0.0)), extent(warped(tall_item(), 1.4, 0.0))
    assert wide[0] == as_is[0] and abs(wide[1] / as_is[1] - 1.4) < 0.1
    ys, xs = np.nonzero(warped(tall_item(), 1.0, 8.0) > 0.08)
    assert abs(np.corrcoef(xs, ys)[0, 1]) > 0.1            # no longer upright
    assert abs(xs.mean() - 84) < 2 and abs(ys.mean() - 84) < 2


def test_a_rendering_is_a_dataset_image_of_the_item():
    rng = np.random.default_rng(0)
    views = [render_one(tall_item(), rng, texture=False) for _ in range(40)]
    assert all(view.shape == (28, 28) and view.dtype == np.uint8 for view in views)
    heights, widths = zip(*(extent(view) for view in views), strict=True)
    assert min(heights) >= 26                  # its longest edge fills the frame, as in the dataset
    assert max(widths) < min(heights)          # 10 px wide for 24 high, 0.75-1.4 times as wide: still tall


def test_texture_paints_on_the_item_and_plain_keeps_it_smooth():
    def roughness(texture: bool) -> float:
        rng = np.random.default_rng(1)
        views = [render_one(tall_item(), rng, texture).astype(float) for _ in range(40)]
        return float(np.median([np.abs(np.diff(view[6:22, 12:16], axis=0)).mean() for view in views]))

    assert roughness(texture=True) > 2 * roughness(texture=False)
