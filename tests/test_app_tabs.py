"""The Mistakes and Classify tabs, driven through the whole app as a person would (Streamlit's AppTest)."""
import re
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from fashion.classes import CLASS_NAMES
from fashion.photo import RENDERINGS

pytestmark = pytest.mark.usefixtures("shared_built")

TIMEOUT = 180   # the first run classifies the 10,000 test images on two shared cores


@pytest.fixture
def app() -> AppTest:
    """A new session with the Mistakes tab open (Classify's inputs are drawn whichever tab is open)."""
    at = open_tab(AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run(), "Mistakes")
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def classify() -> AppTest:
    """A new session with the Classify tab open: only then is a result worked out and drawn."""
    at = open_tab(AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run(), "Classify your clothes")
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_tab(at: AppTest, label: str) -> AppTest:
    """Click a tab: the page's tabs rerun the script, which draws the Mistakes tab only while it is open."""
    at.session_state["tab"] = label
    return at.run()


def tab(at: AppTest, label: str):
    return next(t for t in at.tabs if t.label == label)


def mistake_count(at: AppTest) -> int:
    """The number in the grid's "N mistakes" caption."""
    for caption in tab(at, "Mistakes").caption:
        match = re.match(r"([\d,]+) mistakes", caption.value)
        if match:
            return int(match.group(1).replace(",", ""))
    raise AssertionError("no 'N mistakes' caption")


def tile_captions(at: AppTest) -> list[str]:
    return [c.value for c in tab(at, "Mistakes").caption if "→" in c.value]


def result_panel(at: AppTest):
    return at.container(key="classify_result")


def panel_text(at: AppTest) -> str:
    panel = result_panel(at)
    parts = [e.value for kind in ("subheader", "markdown", "error", "warning", "info") for e in getattr(panel, kind)]
    return "\n".join(str(p) for p in parts)


def test_mistakes_grid_shows_the_shipped_models_mistakes(app):
    mistakes = tab(app, "Mistakes")
    assert len(mistakes.image) >= 40                       # a full first page, plus the detail view
    captions = tile_captions(app)
    assert len(captions) == 40
    for caption in captions:
        true, predicted = re.match(r"\*\*(.+)\*\* → (.+?)  \n", caption).groups()
        assert true in CLASS_NAMES and predicted in CLASS_NAMES and true != predicted
    assert any(t.value.startswith("Test image #") for t in mistakes.subheader)


def test_mistakes_filters_narrow_the_grid(app):
    everything = mistake_count(app)
    app.selectbox(key="mistakes_true").set_value("Shirt").run()
    shirts = mistake_count(app)
    assert 0 < shirts < everything
    assert all(c.startswith("**Shirt**") for c in tile_captions(app))
    app.selectbox(key="mistakes_pred").set_value("T-shirt/top").run()
    shirts_as_tshirts = mistake_count(app)
    assert 0 < shirts_as_tshirts < shirts
    assert all(c.startswith("**Shirt** → T-shirt/top") for c in tile_captions(app))
    assert not app.exception


def test_mistakes_sort_and_detail_button(app):
    confidences = [int(re.search(r"(\d+)% sure", c).group(1)) for c in tile_captions(app)]
    assert confidences == sorted(confidences, reverse=True)
    app.radio(key="mistakes_sort").set_value("Test index").run()
    buttons = [b for b in tab(app, "Mistakes").button if b.key and b.key.startswith("mistakes_show_")]
    indices = [int(b.key.rsplit("_", 1)[1]) for b in buttons]
    assert indices == sorted(indices)
    buttons[3].click().run()
    assert any(t.value == f"Test image #{indices[3]}" for t in tab(app, "Mistakes").subheader)


def test_the_mistakes_tab_is_drawn_only_while_open_and_keeps_its_filters(app):
    app.selectbox(key="mistakes_true").set_value("Shirt").run()
    shirts = mistake_count(app)
    open_tab(app, "Classify your clothes")
    assert not tab(app, "Mistakes").caption and not tab(app, "Mistakes").image
    open_tab(app, "Mistakes")
    assert app.selectbox(key="mistakes_true").value == "Shirt" and mistake_count(app) == shirts


def test_precision_recall_and_calibration_of_the_chosen_model(app):
    """Worked out only once its expander is open: a table of ten classes and the macro averages, two charts."""
    from fashion.evaluate import report_from_probs
    from fashion.ui import state
    from fashion.ui.metrics_view import MACRO

    assert not [c for c in app.container if c.key == "metrics_report"]
    app.session_state["mistakes_metrics"] = True          # what a click on the expander sets
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    view = app.container(key="metrics_report")
    table = view.dataframe[0].value
    assert list(table["class"]) == [*CLASS_NAMES, MACRO]
    assert list(table.columns) == ["class", "precision", "recall", "F1", "support"]
    assert table["support"].tolist() == [1000] * 10 + [10_000]
    shipped = report_from_probs(state.shipped_test_probs(), state.dataset().test_labels)
    assert table["recall"].iloc[:10].tolist() == pytest.approx(shipped.per_class)     # a class's accuracy
    assert table["F1"].iloc[10] == pytest.approx(table["F1"].iloc[:10].mean())
    charts_drawn = [c.proto.id for c in view.get("plotly_chart")]
    assert len(charts_drawn) == 2 and any("metrics_report_pr" in i for i in charts_drawn)
    assert "ECE 0." in next(c.proto.spec for c in view.get("plotly_chart") if "reliability" in c.proto.id)


def test_a_finished_runs_metrics_in_the_train_tab_beside_the_mistakes_tabs():
    """A run's view has a key of its own, so both can be open on one page; its model classifies the test set
    once, when the expander is first opened."""
    from dataclasses import asdict

    import torch

    from fashion.card import ModelCard
    from fashion.config import TrainConfig
    from fashion.model import build_model
    from fashion.run_store import StoredRun, new_owner_id
    from fashion.ui import state
    from fashion.weights import model_bytes

    owner, model = new_owner_id(), build_model("fast", torch.Generator().manual_seed(3)).eval()
    record = StoredRun(number=0, config=asdict(TrainConfig()), accuracy=0.1, per_class=[0.1] * 10,
                       confusion=[[100] * 10] * 10, seconds=1.0, stopped=False, device="cpu",
                       curves={"epoch": [0.0, 1.0], "loss": [2.3, 2.2], "eval_epoch": [1.0], "test_accuracy": [0.1]})
    state.run_store().save(owner, record, model_bytes(model, ModelCard("fast")))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["user"] = owner
    at.run()
    assert not [c for c in at.container if (c.key or "").startswith("metrics_report")]
    (run,) = at.session_state["runs"].values()
    assert run.test_probs is None                         # nothing worked out while the expander is closed
    at.session_state["train_metrics"] = True
    at.session_state["mistakes_metrics"] = True
    open_tab(at, "Mistakes")
    assert not at.exception, [e.value for e in at.exception]
    table = at.container(key="metrics_report_run").dataframe[0].value
    assert len(table) == 11 and table["support"].iloc[10] == 10_000
    accuracy = run.test_probs.argmax(1).eq(state.dataset().test_labels).float().mean().item()
    assert table["recall"].iloc[10] == pytest.approx(accuracy)   # 1,000 images a class: macro recall = accuracy
    assert len(at.container(key="metrics_report").get("plotly_chart")) == 2     # the shipped model's, in Mistakes


def test_confusion_cell_sets_both_filters():
    from fashion.ui.mistakes_tab import ALL, filters_from_point

    assert filters_from_point({"x": "T-shirt/top", "y": "Shirt"}) == ("Shirt", "T-shirt/top")
    assert filters_from_point({"x": "Shirt", "y": "Shirt"}) == ("Shirt", ALL)   # the diagonal: all its mistakes
    assert filters_from_point({}) == (ALL, ALL)


def test_uploaded_photo_fills_the_result_panel(classify, photos):
    app = classify
    photo = sorted((photos / "trouser").glob("*.jpg"))[0]
    app.file_uploader(key="classify_upload").set_value((photo.name, photo.read_bytes(), "image/jpeg")).run()
    assert not app.exception, [e.value for e in app.exception]
    text = panel_text(app)
    assert any(name in text for name in CLASS_NAMES), text
    assert len(result_panel(app).image) >= 3              # the photo, the 28x28 view, the heat map
    views = [e for e in result_panel(app).expander if "views the answer is averaged over" in e.label]
    assert len(views) == 1 and f"{2 * len(RENDERINGS)} views" in views[0].label and len(views[0].image) == 1


def test_photo_tips_before_the_upload_and_advice_for_a_pair_of_shoes(classify, tmp_path):
    import cv2
    from test_pose import paint, shoe_from_above

    from fashion.advice import ADVICE_TEXT, PHOTO_TIPS

    app = classify
    tips = app.container(key="classify_tips").caption[0].value
    assert tips.split("  \n") == list(PHOTO_TIPS)
    assert not [c for c in app.container if c.key == "classify_advice"]
    pair, _ = paint([shoe_from_above(150 - 40, mirror=True), shoe_from_above(150 + 40)])
    ok, png = cv2.imencode(".png", pair[..., ::-1])
    app.file_uploader(key="classify_upload").set_value(("pair.png", png.tobytes(), "image/png")).run()
    assert not app.exception, [e.value for e in app.exception]
    assert [i.value for i in app.container(key="classify_advice").info] == [ADVICE_TEXT["pair"]]


def test_bad_file_gets_a_sentence_not_a_traceback(classify):
    app = classify
    app.file_uploader(key="classify_upload").set_value(("notes.png", b"just some text, not pixels", "image/png"))
    app.run()
    assert not app.exception
    errors = [e.value for e in result_panel(app).error]
    assert errors and "not an image we can read" in errors[0]
    assert not result_panel(app).image


def test_sketch_tab_without_a_drawing_asks_for_one(classify):
    app = classify
    app.session_state["classify_source"] = "Sketch an item"
    app.run()
    assert not app.exception
    assert "Draw something" in panel_text(app)


def test_classify_sketch_helper():
    import cv2

    from fashion.infer import Classifier
    from fashion.sketch import NOTHING_DRAWN
    from fashion.ui.classify_tab import explain

    classifier = Classifier.load()
    canvas = np.full((280, 280, 4), 255, np.uint8)
    assert explain(classifier.classify_sketch(canvas), classifier).answer.message == NOTHING_DRAWN
    cv2.rectangle(canvas, (60, 110), (220, 250), (0, 0, 0, 255), 10)
    result = explain(classifier.classify_sketch(canvas), classifier)
    assert result.answer.prediction is not None and result.answer.image.shape == (28, 28)
    assert result.saliency.shape == (28, 28) and 0.0 <= result.saliency.min() <= result.saliency.max() <= 1.0


def test_without_the_data_the_tabs_that_need_it_say_so_and_classify_still_works(monkeypatch, tmp_path):
    from fashion import data
    from fashion.ui import state

    monkeypatch.setattr(data, "candidate_dirs", lambda: [tmp_path])   # an empty folder: no data anywhere
    state.dataset.clear()
    state.shipped_test_probs.clear()
    try:
        at = open_tab(AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run(), "Mistakes")
        assert not at.exception, [e.value for e in at.exception]
        assert any("Fashion-MNIST was not found" in e.value for e in tab(at, "Mistakes").error)
        open_tab(at, "Classify your clothes")
        assert at.get("file_uploader") and "Upload a photo" in " ".join(i.value for i in result_panel(at).info)
        at.number_input(key="train_epochs").set_value(1)
        at.button(key="train_start").click().run()
        for _ in range(100):
            if "job" not in at.session_state or at.session_state["job"] is None:
                break
            at.run()
        errors = " ".join(e.value for e in tab(at, "Train a model").error)
        assert "could not start" in errors and "Fashion-MNIST was not found" in errors
    finally:
        state.dataset.clear()
        state.shipped_test_probs.clear()


def test_the_page_does_not_wait_for_the_mistakes_tabs_predictions(monkeypatch):
    """While the server is still classifying the test images, Classify and Train work and Mistakes says so."""
    import threading

    from fashion.ui import state

    release = threading.Event()
    classify = state.shipped_test_probs._build
    monkeypatch.setattr(state.shipped_test_probs, "_build", lambda: release.wait(60) and classify())
    state.shipped_test_probs.clear()
    try:
        at = open_tab(AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run(), "Mistakes")
        assert not at.exception, [e.value for e in at.exception]
        assert "in a moment" in " ".join(i.value for i in tab(at, "Mistakes").info)
        assert at.get("file_uploader") and at.button(key="train_start")
        release.set()
        for _ in range(100):
            if state.shipped_test_probs.ready:
                break
            time.sleep(0.1)
        at.run()
        assert mistake_count(at) > 0
    finally:
        release.set()
        monkeypatch.undo()
        state.shipped_test_probs()


def test_the_sidebar_names_the_device_and_a_bad_fashion_device_falls_back_to_the_cpu(monkeypatch, photos):
    from fashion.ui import state

    monkeypatch.setenv("FASHION_DEVICE", "tpu")
    state.device_choice.clear()
    try:
        at = open_tab(AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run(), "Classify your clothes")
        assert not at.exception, [e.value for e in at.exception]
        assert any("run on **cpu" in c.value for c in at.sidebar.caption)
        warnings = [w.value for w in at.sidebar.warning]
        assert warnings and "Unknown device 'tpu' (FASHION_DEVICE)" in warnings[0] and "Using the CPU" in warnings[0]
        photo = sorted((photos / "trouser").glob("*.jpg"))[0]
        at.file_uploader(key="classify_upload").set_value((photo.name, photo.read_bytes(), "image/jpeg")).run()
        assert not at.exception and any(name in panel_text(at) for name in CLASS_NAMES)
    finally:
        state.device_choice.clear()


def test_inside_the_network_and_the_nearest_training_images(app, photos):
    import torch

    from fashion.card import ModelCard
    from fashion.model import build_model
    from fashion.weights import model_bytes

    # The shipped pair's first network: a stem, three stages, and the first filters.
    assert len(app.container(key="inside_network").image) == 5
    model = build_model("fast", torch.Generator().manual_seed(3)).eval()   # a small model: its index builds fast
    app.file_uploader(key="model_upload").set_value(("small.safetensors", model_bytes(model, ModelCard("fast")),
                                                     "application/octet-stream")).run()
    photo = sorted((photos / "trouser").glob("*.jpg"))[0]
    open_tab(app, "Classify your clothes")
    app.file_uploader(key="classify_upload").set_value((photo.name, photo.read_bytes(), "image/jpeg")).run()
    assert not app.exception, [e.value for e in app.exception]
    inside = app.container(key="inside_network")
    assert len(inside.image) == 4                                      # three stages and the filters
    assert any("output 16×14×14" in m.value for m in inside.markdown)
    app.button(key="classify_find_neighbours").click().run()          # its index builds in the background
    for _ in range(300):
        if len(app.container(key="classify_neighbours").image) == 8:
            break
        time.sleep(0.5)
        app.run()
    neighbours = app.container(key="classify_neighbours")
    assert len(neighbours.image) == 8 and sum("distance" in c.value for c in neighbours.caption) == 8
    assert any(" of 8 are " in c.value for c in neighbours.caption)

    # The same index places the test images on the Mistakes tab's map, the photo as a star.
    open_tab(app, "Mistakes")       # its detail's inside view takes the key: Classify's result is not drawn now
    assert not app.exception, [e.value for e in app.exception]
    charts_drawn = [c for c in app.get("plotly_chart") if "embedding_map" in c.proto.id]
    assert len(charts_drawn) == 1 and '"Your input"' in charts_drawn[0].proto.spec
    app.session_state["mistakes_map_selection"] = [0, 1, 2]          # what a lasso around three dots sets
    app.run()
    assert any(c.value.startswith("3 images picked on the map") for c in tab(app, "Mistakes").caption)
    assert len(app.container(key="mistakes_images").image) == 3
    app.button(key="mistakes_clear_map").click().run()
    assert mistake_count(app) > 0


def test_a_lasso_on_the_map_selects_the_test_images_under_it():
    from fashion.ui.mistakes_tab import selection_from_event

    event = {"selection": {"points": [{"customdata": 7, "curve_number": 2}, {"customdata": 3.0}, {"x": 1}]}}
    assert selection_from_event(event) == [3, 7] and selection_from_event(None) == []
