"""The photo path on made-up pictures: each step (find the item, render it, score how unfamiliar it is)."""
import cv2
import numpy as np
import pytest
import torch

from fashion.photo import RENDERINGS, SHADINGS, NoItemError, Rendering, crop_item, prepare_photo, render_item, segment
from fashion.render import fit_to_square
from fashion.unfamiliar import (
    choose_threshold,
    fit_feature_stats,
    load_stats,
    relative_mahalanobis,
    save_stats,
    sidecar_path,
)

H, W = 400, 300


def render(gray: np.ndarray, mask: np.ndarray, how: Rendering = Rendering()) -> np.ndarray:
    return render_item(*crop_item(gray, mask), how)


def tshirt_outline(h: int = H, w: int = W) -> np.ndarray:
    """A T-shirt seen flat: body, two short sleeves and a neckline, as polygon points in pixels."""
    points = [(0.35, 0.15), (0.45, 0.2), (0.55, 0.2), (0.65, 0.15), (0.88, 0.3), (0.8, 0.42), (0.72, 0.37),
              (0.72, 0.85), (0.28, 0.85), (0.28, 0.37), (0.2, 0.42), (0.12, 0.3)]
    return np.array([(round(x * w), round(y * h)) for x, y in points], np.int32)


def draw_item(background: np.ndarray, colour, outline: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Paint a T-shirt of one colour (with a little noise, as cloth has) onto a background; return photo and truth."""
    outline = tshirt_outline(*background.shape[:2]) if outline is None else outline
    truth = cv2.fillPoly(np.zeros(background.shape[:2], np.uint8), [outline], 1).astype(bool)
    noise = np.random.default_rng(0).normal(0, 4, background.shape)
    item = np.clip(np.asarray(colour, float) + noise, 0, 255)
    return np.where(truth[..., None], item, background).astype(np.uint8), truth


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return (a & b).sum() / max((a | b).sum(), 1)


def stripes(h: int = H, w: int = W, period: int = 24) -> np.ndarray:
    """A busy bed sheet: diagonal stripes of two colours."""
    ys, xs = np.mgrid[:h, :w]
    light = ((xs + ys) // (period // 2)) % 2 == 0
    return np.where(light[..., None], (200, 190, 170), (120, 140, 170)).astype(np.uint8)


def test_a_shirt_on_a_striped_sheet_is_found():
    photo, truth = draw_item(stripes(), (40, 40, 40))
    assert iou(segment(photo).mask, truth) > 0.85


def test_a_white_item_on_a_pale_background_is_found_whole():
    # The hard case from the photos: only a print used to survive. A little contrast must be enough.
    pale = np.full((H, W, 3), (222, 214, 200), np.uint8)
    photo, truth = draw_item(pale, (250, 250, 250))
    assert iou(segment(photo).mask, truth) > 0.8


def test_an_item_touching_the_frame_is_kept_whole():
    # People fill the frame; a hem cut by the photo's edge must not be lost to the background.
    photo, truth = draw_item(np.full((H, W, 3), (90, 120, 60), np.uint8), (200, 40, 40))
    photo, truth = photo[: round(H * 0.8)], truth[: round(H * 0.8)]
    assert iou(segment(photo).mask, truth) > 0.85


def test_a_thin_hanger_hook_above_the_garment_is_dropped():
    wall = np.full((H, W, 3), (235, 235, 230), np.uint8)
    photo, truth = draw_item(wall, (30, 60, 120))
    # A hook: a thin dark line from the neckline up to near the top edge, and a short bar across.
    cv2.line(photo, (W // 2, round(0.2 * H)), (W // 2, round(0.05 * H)), (20, 20, 20), 2)
    cv2.line(photo, (round(0.4 * W), round(0.05 * H)), (round(0.6 * W), round(0.05 * H)), (20, 20, 20), 2)
    mask = segment(photo).mask
    top = np.nonzero(mask.any(1))[0].min()
    assert top >= round(0.13 * H), "the hook should not stretch the item's box upwards"
    assert iou(mask, truth) > 0.85


def test_blank_and_flat_photos_have_no_item():
    for colour in ((255, 255, 255), (30, 30, 30)):
        with pytest.raises(NoItemError):
            prepare_photo(np.full((H, W, 3), colour, np.uint8))


def test_a_photo_becomes_a_bright_item_on_black_filling_the_square():
    photo, _ = draw_item(np.full((H, W, 3), (235, 235, 230), np.uint8), (30, 60, 120))
    prepared = prepare_photo(photo)
    image = prepared.image
    assert image.shape == (28, 28) and image.dtype == np.float32
    rows, cols = np.nonzero(image.max(1) > 0.05)[0], np.nonzero(image.max(0) > 0.05)[0]
    assert rows.max() - rows.min() >= 26                          # the taller side fills the 28 px
    assert cols.min() >= 1 and 27 - cols.max() >= 1               # the narrower one is centred
    assert image[rows.min():rows.max() + 1, 14].mean() > 0.3      # the dark item is bright, as in the dataset
    x0, y0, x1, y1 = prepared.box
    assert abs(y0 - 0.15 * H) < 8 and abs(y1 - 0.85 * H) < 8


def test_stretched_rendering_spans_the_range_and_keeps_shading():
    gray = np.full((100, 60), 200.0, np.float32)
    gray[20:80, 10:50] = np.linspace(20, 120, 40)[None, :]     # a shaded item on a pale ground
    mask = np.zeros_like(gray, bool)
    mask[20:80, 10:50] = True
    image = render(gray, mask)
    rows = image[image.max(1) > 0]
    assert rows.max() > 0.95 and rows[:, 4:8].mean() > rows[:, -8:-4].mean() + 0.3   # the darker side, brighter


def test_a_plain_item_stays_bright_and_plain():
    gray = np.full((100, 60), 200.0, np.float32)
    gray[20:80, 10:50] = 60 + np.random.default_rng(0).normal(0, 3, (60, 40))   # one colour, a little noise
    mask = np.zeros_like(gray, bool)
    mask[20:80, 10:50] = True
    inside = render(gray, mask)[4:24, 10:18]
    assert inside.min() > 0.8           # not stretched into a pattern of noise, nor flattened to black


def test_background_between_straps_renders_black():
    gray = np.full((100, 60), 235.0, np.float32)
    for top in range(20, 80, 20):
        gray[top:top + 10, 10:50] = 40.0                        # dark straps, pale floor between them
    mask = np.zeros_like(gray, bool)
    mask[20:80, 10:50] = True                                   # the outline holds both, as GrabCut's would
    for how in SHADINGS:
        column = render(gray, mask, how)[:, 14]
        assert column.max() > 0.7 and column[column.argmax():].min() < 0.15


def test_a_photo_is_rendered_every_way_and_shown_with_the_mirror_images_it_is_seen_in():
    from fashion.infer import seen_views

    photo, _ = draw_item(np.full((H, W, 3), (235, 235, 230), np.uint8), (30, 60, 120))
    prepared = prepare_photo(photo)
    n = len(RENDERINGS)
    assert prepared.views.shape == (n, 28, 28)
    assert np.array_equal(prepared.views[0], prepared.image)                  # the first is the one the app shows
    assert len({view.tobytes() for view in prepared.views}) == n              # each rendering differs
    shown = seen_views(prepared.views)
    assert np.array_equal(shown[:n], prepared.views) and np.array_equal(shown[n:], prepared.views[:, :, ::-1])


def test_renderings_differ_as_described():
    gray = np.full((100, 60), 200.0, np.float32)
    gray[20:80, 10:50] = np.linspace(20, 120, 40)[None, :]
    mask = np.zeros_like(gray, bool)
    mask[20:80, 10:50] = True
    plain = render(gray, mask, Rendering(stretch=False))
    assert abs(plain.max() - (255 - 20) / 255) < 0.02                         # plain inverted luminance
    narrow = render(gray, mask, Rendering(stretch=False, width=0.8))
    assert (narrow.max(0) > 0.05).sum() < (plain.max(0) > 0.05).sum()         # squeezed sideways...
    assert (narrow.max(1) > 0.05).sum() == (plain.max(1) > 0.05).sum()        # ...its height still spans the 28 px


def test_classifying_views_averages_them():
    from fashion.infer import Classifier

    classifier = Classifier.load()
    rng = np.random.default_rng(0)
    a, b = rng.random((2, 28, 28), dtype=np.float32)
    both = classifier.classify_views(np.stack([a, b]))
    expected = (np.array(classifier.classify(a).probs) + np.array(classifier.classify(b).probs)) / 2
    assert np.allclose(both.probs, expected, atol=1e-5)
    assert np.allclose(classifier.classify_views(np.stack([a, a])).probs, classifier.classify(a).probs, atol=1e-5)


def test_fit_to_square_keeps_the_aspect_ratio_and_centres():
    wide = np.ones((10, 40), np.float32)
    square = fit_to_square(wide)
    rows = np.nonzero(square.max(1) > 0.5)[0]
    assert square.shape == (28, 28) and len(rows) == 7 and rows.min() == 10


def two_clusters(n: int = 500, dims: int = 8):
    """Features of two well separated 'classes', repeated to fill ten, with a few dims of noise."""
    rng = np.random.default_rng(0)
    labels = np.arange(n * 10) % 10
    centres = rng.normal(0, 5, (10, dims))
    features = centres[labels] + rng.normal(0, 1, (n * 10, dims))
    return torch.tensor(features, dtype=torch.float32), torch.tensor(labels)


def test_relative_mahalanobis_is_low_near_a_class_and_high_between_them(tmp_path):
    features, labels = two_clusters()
    stats = fit_feature_stats(features, labels, dims=8)
    near = stats.mean + (stats.class_means[3] @ stats.directions.T)       # a class centre, in feature space
    far = stats.mean + 0.5 * ((stats.class_means[3] + stats.class_means[7]) @ stats.directions.T)
    scores = relative_mahalanobis(stats, torch.stack([near, far]))
    assert scores[0] < scores[1]
    stats.threshold = 12.5
    save_stats(stats, tmp_path / "m.features.safetensors")
    loaded = load_stats(tmp_path / "m.features.safetensors")
    assert loaded.threshold == 12.5 and torch.allclose(relative_mahalanobis(loaded, features[:5]),
                                                       relative_mahalanobis(stats, features[:5]))


def test_threshold_flags_the_chosen_share_of_known_photos():
    scores = list(range(100))
    threshold = choose_threshold(scores, flag_rate=0.05)
    assert sum(s > threshold for s in scores) == 5


def test_the_shipped_model_finds_its_feature_statistics():
    from fashion.classes import DEFAULT_WEIGHTS
    from fashion.infer import Classifier

    assert sidecar_path(DEFAULT_WEIGHTS).name == "fashion_cnn.features.safetensors"
    classifier = Classifier.load()
    assert classifier.feature_stats is not None and np.isfinite(classifier.feature_stats.threshold)
    photo, _ = draw_item(stripes(), (40, 40, 40))
    prediction = classifier.classify_photo(prepare_photo(photo))
    assert abs(sum(prediction.probs) - 1) < 1e-4 and isinstance(prediction.unfamiliar, bool)
    assert prediction.unfamiliar == (prediction.unfamiliar_score > classifier.feature_stats.threshold)


def test_a_photo_is_seen_in_each_rendering_and_its_mirror_image_once():
    from fashion.card import ModelCard
    from fashion.infer import Classifier
    from fashion.model import build_model

    model = build_model("fast", torch.Generator().manual_seed(0)).eval()
    photo = prepare_photo(draw_item(stripes(), (40, 40, 40))[0])
    seen = []
    model.features.register_forward_pre_hook(lambda module, args: seen.append(len(args[0])))
    # A batch's mirror flag (the model card's) is not an item's: a single item is always mirrored too.
    answers = [Classifier(model, ModelCard("fast", mirror=mirror)).classify_photo(photo).probs
               for mirror in (False, True)]
    assert seen == [len(RENDERINGS)] * 4 and np.allclose(answers[0], answers[1], atol=1e-6)
    x = torch.from_numpy(photo.views)[:, None]
    with torch.no_grad():
        one_by_one = torch.cat([model(x), model(x.flip(3))]).softmax(1).mean(0)
    assert np.allclose(answers[0], one_by_one.numpy(), atol=1e-5)
