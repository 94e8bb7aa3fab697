"""The pictures the tabs show: inline data URLs that decode back to what was drawn."""
import base64

import cv2
import numpy as np

from fashion.ui import charts


def decode(url: str, prefix: str) -> np.ndarray:
    assert url.startswith(prefix)
    raw = np.frombuffer(base64.b64decode(url[len(prefix):]), np.uint8)
    return cv2.imdecode(raw, cv2.IMREAD_UNCHANGED)


def test_a_model_view_travels_as_a_lossless_png():
    view = charts.upscale(np.random.default_rng(0).random((28, 28)), 112)
    assert view.shape == (112, 112)
    assert np.array_equal(decode(charts.data_url(view), "data:image/png;base64,"), view)


def test_a_photo_travels_as_a_jpeg_with_its_colours():
    photo = np.zeros((60, 80, 3), np.uint8)
    photo[:, :40] = (200, 30, 30)                      # red on the left, in RGB order
    back = decode(charts.data_url(photo, photo=True), "data:image/jpeg;base64,")
    assert back.shape == photo.shape
    assert abs(int(back[30, 10, 2]) - 200) < 10 and int(back[30, 10, 0]) < 50   # OpenCV reads BGR


def test_tile_lays_views_out_in_rows_with_gaps():
    views = np.zeros((12, 28, 28), np.float32)
    views[7] = 1.0                                     # the second row's second view is white
    sheet = charts.tile(views, columns=6, cell=56, gap=4)
    assert sheet.shape == (2 * 60 - 4, 6 * 60 - 4)
    assert sheet[60 + 28, 60 + 28] == 255 and sheet[28, 28] == 0 and sheet[28, 57] == 255   # a view, a gap


def test_metrics_figures_thin_the_curves_and_skip_empty_bins():
    recall = np.linspace(0, 1, 10_001)
    precision = 1 - recall / 2
    r, p = charts.thin_curve(recall, precision)
    assert len(r) <= charts.CURVE_POINTS + 2 and (r[0], r[-1], p[-1]) == (0.0, 1.0, 0.5)
    figure = charts.pr_figure([recall] * 10, [precision] * 10, [0.75] * 10)
    assert len(figure.data) == 10 and "AP 0.750" in figure.data[0].name
    nan = float("nan")
    figure = charts.reliability_figure([nan, 0.5, 0.9], [nan, 0.4, 0.95], [0, 10, 30], 0.05)
    assert len(figure.data[0].x) == 2 and "ECE 0.050" in figure.layout.title.text
