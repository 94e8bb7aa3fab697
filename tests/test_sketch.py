"""Sketch conversion: drawings made the way people draw them, dark strokes on a white RGBA canvas."""
import cv2
import numpy as np
import pytest

from fashion.classes import CLASS_NAMES
from fashion.sketch import sketch_to_input

SIDE = 280
# Outlines in canvas pixels, as someone would trace them with a mouse.
TROUSERS = [(100, 30), (180, 30), (195, 250), (155, 250), (140, 90), (125, 250), (85, 250)]
TSHIRT = [(105, 40), (140, 55), (175, 40), (235, 75), (215, 115), (195, 100), (195, 240), (85, 240),
          (85, 100), (65, 115), (45, 75)]
UPPER_BODY = {"T-shirt/top", "Shirt", "Pullover", "Coat"}


def blank(transparent: bool = False) -> np.ndarray:
    canvas = np.full((SIDE, SIDE, 4), 255, np.uint8)
    if transparent:
        canvas[..., 3] = 0
    return canvas


def draw(points, thickness: int = 10, filled: bool = False, canvas=None) -> np.ndarray:
    canvas = blank() if canvas is None else canvas
    outline = np.array(points, np.int32).reshape(-1, 1, 2)
    if filled:
        cv2.fillPoly(canvas, [outline], (0, 0, 0, 255), lineType=cv2.LINE_AA)
    cv2.polylines(canvas, [outline], True, (0, 0, 0, 255), thickness, lineType=cv2.LINE_AA)
    return canvas


@pytest.fixture(scope="module")
def classifier():
    from fashion.infer import Classifier

    return Classifier.load()


def test_outline_tshirt_is_filled_centred_and_dataset_shaped():
    image = sketch_to_input(draw(TSHIRT))
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert image.max() == pytest.approx(1.0, abs=0.01)
    assert 0.4 < image[12:20, 11:17].min()                  # the body's interior is filled, not black
    corners = image[[0, 0, -1, -1], [0, -1, 0, -1]]
    assert corners.max() < 0.05                              # black around the item, as in the dataset
    ys, xs = np.nonzero(image > 0.1)
    assert ys.max() - ys.min() + 1 >= 26 or xs.max() - xs.min() + 1 >= 26   # longest edge fills 28 px
    centre = np.array([ys.mean(), xs.mean()])
    assert np.abs(centre - 13.5).max() < 3


def test_outline_and_filled_drawings_look_alike():
    outline, filled = sketch_to_input(draw(TSHIRT)), sketch_to_input(draw(TSHIRT, filled=True))
    assert np.abs(outline - filled).mean() < 0.05


def test_transparent_background_reads_as_paper():
    canvas = blank(transparent=True)
    stroke = draw(TSHIRT)[..., 0] < 128
    canvas[stroke] = (0, 0, 0, 255)
    assert np.abs(sketch_to_input(canvas) - sketch_to_input(draw(TSHIRT))).max() < 0.1


@pytest.mark.parametrize("filled", [False, True])
@pytest.mark.parametrize("thickness", [4, 10])
def test_trousers_are_trousers(classifier, filled, thickness):
    prediction = classifier.classify(sketch_to_input(draw(TROUSERS, thickness, filled)))
    assert prediction.label == "Trouser", prediction.top


def test_tshirt_outline_is_an_upper_body_garment(classifier):
    prediction = classifier.classify(sketch_to_input(draw(TSHIRT)))
    assert prediction.label in UPPER_BODY, prediction.top


def test_trouser_legs_stay_apart():
    image = sketch_to_input(draw(TROUSERS))
    # The gap between the legs is outside the outline: it must not be filled in.
    for row in image[20:27]:
        bright = np.nonzero(row > 0.3)[0]
        assert (row[bright.min():bright.max()] < 0.15).any()


@pytest.mark.parametrize("transparent", [False, True])
def test_empty_canvas_gives_none(transparent):
    assert sketch_to_input(blank(transparent)) is None


def test_a_dot_or_a_speck_is_not_a_drawing():
    speck = blank()
    speck[100, 100, :3] = 0
    assert sketch_to_input(speck) is None
    dot = blank()
    cv2.circle(dot, (140, 140), 6, (0, 0, 0, 255), -1)
    assert sketch_to_input(dot) is None
    faint = blank()
    cv2.polylines(faint, [np.array(TSHIRT, np.int32)], True, (235, 235, 235, 255), 10)  # nearly white
    assert sketch_to_input(faint) is None


def test_a_single_line_is_a_valid_image(classifier):
    line = blank()
    cv2.line(line, (20, 140), (260, 140), (0, 0, 0, 255), 10)
    image = sketch_to_input(line)
    assert image.shape == (28, 28) and image.max() == pytest.approx(1.0, abs=0.01)
    assert classifier.classify(image).label in CLASS_NAMES
