"""Classify tab: upload a photo, take one with the camera, or sketch an item."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from fashion.advice import PHOTO_TIPS
from fashion.classes import CLASS_LIST
from fashion.infer import Answer, Classifier
from fashion.sketch import NOTHING_DRAWN
from fashion.ui import charts, inside_view, neighbours_view, state

log = logging.getLogger(__name__)

UPLOAD, CAMERA, SKETCH = "Upload a photo", "Take a photo", "Sketch an item"
PHOTO_TYPES = ["jpg", "jpeg", "png", "webp", "bmp", "gif"]
CANVAS_PX = 320
VIEW_PX = 224           # 28 x 8: a whole factor keeps the model's pixels square
CACHE_SIZE = 8          # results kept per session: enough to flip between recent inputs
UNEXPECTED = "Something went wrong while classifying this image. Please try another one."


@dataclass
class Result:
    """What the result panel shows for one input: the package's answer, explained."""
    answer: Answer
    saliency: np.ndarray | None = None     # 28x28 in [0, 1]: the pixels that drove the answer
    view: np.ndarray | None = None         # for a photo: the photo with the found item marked


def explain(answer: Answer, classifier: Classifier) -> Result:
    """An answer with the pixels that drove it and, for a photo, where the item was found."""
    if answer.prediction is None:
        return Result(answer)
    photo = answer.photo
    return Result(answer, classifier.saliency(answer.image, answer.prediction.index),
                  charts.photo_overlay(photo.rgb, photo.mask, photo.box) if photo is not None else None)


def cached(kind: str, payload: bytes, answer: Callable[[Classifier], Answer]) -> Result:
    """This session's result for an input and the chosen model, computed once; any failure becomes a message."""
    if "classify_cache" not in st.session_state:
        st.session_state.classify_cache = {}
    cache = st.session_state.classify_cache
    key = (kind, state.chosen_name(), hashlib.sha256(payload).hexdigest())
    if key not in cache:
        try:
            classifier = state.chosen_classifier()
            cache[key] = explain(answer(classifier), classifier)
        except Exception:
            # A bug must not end the person's session with a traceback; the log keeps it for us.
            log.exception("Classifying a %s failed", kind)
            cache[key] = Result(Answer(message=UNEXPECTED, level="error"))
        while len(cache) > CACHE_SIZE:
            cache.pop(next(iter(cache)))          # dicts keep insertion order: drop the oldest
    return cache[key]


def render(shown: bool = True) -> None:
    """The tab; `shown` says whether it is open. Its inputs are drawn even when it is not, so that a file
    survives a look at another tab; a result is worked out and drawn only for the input tab on screen."""
    st.markdown(f"Show the model an item of clothing. It knows ten classes: {CLASS_LIST}.")
    with st.container(key="classify_tips"):
        st.caption("  \n".join(PHOTO_TIPS))        # two lines: a markdown line break between them
    tabs = st.tabs([UPLOAD, CAMERA, SKETCH], key="classify_source", on_change="rerun")
    for tab, read in zip(tabs, (upload_input, camera_input, sketch_input), strict=True):
        with tab:
            result = read()
            if shown and tab.open:
                render_result(result())


# Each input's widgets draw at once and hand back how to get its result, which is worked out only if shown.
Later = Callable[[], Result]


def message(text: str) -> Later:
    return lambda: Result(Answer(message=text))


def upload_input() -> Later:
    uploaded = st.file_uploader("A photo of one item, laid flat or on a hanger", type=PHOTO_TYPES,
                                key="classify_upload")
    if uploaded is None:
        return message("Upload a photo (JPEG, PNG, WebP, BMP or GIF) to classify it.")
    return photo_result(uploaded.getvalue())


def camera_input() -> Later:
    shot = st.camera_input("Take a photo of one item, filling most of the frame", key="classify_camera")
    if shot is None:
        return message("Take a photo to classify it.")
    return photo_result(shot.getvalue())


def photo_result(data: bytes) -> Later:
    return lambda: cached("photo", data, lambda classifier: classifier.classify_file(data))


def sketch_input() -> Later:
    left, right = st.columns([1, 1])   # the canvas needs CANVAS_PX of width, even in a narrow window
    with right:
        st.markdown("Draw one item in dark strokes: an outline is enough, closed outlines get filled in. "
                    "Hover over the canvas for its toolbar: **undo**, **redo** and **reset** (the bin).")
        width = st.slider("Brush width", min_value=2, max_value=40, value=12, key="classify_brush")
    with left:
        drawing = st_canvas(stroke_width=width, stroke_color="#000000", background_color="#FFFFFF",
                            width=CANVAS_PX, height=CANVAS_PX, drawing_mode="freedraw",
                            return_image_data=True, key="classify_canvas")
    rgba = drawing.image_data              # None until something is drawn, and always under AppTest
    if rgba is None:
        return message(NOTHING_DRAWN)
    rgba = np.ascontiguousarray(rgba)
    return lambda: cached("sketch", rgba.tobytes(), lambda classifier: classifier.classify_sketch(rgba))


def render_result(result: Result) -> None:
    """The result panel, the same for every input."""
    with st.container(key="classify_result", border=True):
        answer = result.answer
        if answer.prediction is None:
            show = {"error": st.error, "warning": st.warning}.get(answer.level, st.info)
            show(answer.message)
            return
        render_prediction(result)


def render_prediction(result: Result) -> None:
    answer = result.answer
    prediction = answer.prediction
    st.subheader(f"{prediction.label} · {prediction.confidence:.0%}", anchor=False)
    st.markdown(f"The model says **{prediction.label}**, {prediction.confidence:.0%} sure. Next best: "
                + ", ".join(f"{name} {p:.0%}" for name, p in prediction.top[1:]) + ".")
    if prediction.unfamiliar:
        # The flag comes from a distance in feature space, not from the confidence, so say so plainly.
        st.warning(f"This does not look much like any of the ten classes the model learned, so the best guess, "
                   f"{prediction.label}, may be wrong. The model can only answer with one of the ten.")
    if answer.advice is not None:
        with st.container(key="classify_advice"):
            st.info(answer.advice.text, icon=":material/photo_camera:")
    # Browsers smooth enlarged images; the 28x28 views should show the model's pixels as crisp squares.
    st.html("<style>.st-key-classify_views img, .st-key-classify_heat img {image-rendering: pixelated;}</style>")
    columns = st.columns([1, 1, 1, 2] if result.view is not None else [1, 1, 2])
    if result.view is not None:
        columns[0].image(charts.data_url(result.view, photo=True), caption="Your photo: the item we found, outlined",
                         width="stretch")
    with columns[-3], st.container(key="classify_views"):
        st.image(charts.data_url(charts.upscale(answer.image, VIEW_PX)), width="stretch",
                 caption="What the model sees: 28×28, bright item on black")
    with columns[-2], st.container(key="classify_heat"):
        st.image(charts.data_url(charts.saliency_overlay(answer.image, result.saliency, VIEW_PX)), width="stretch",
                 caption=f"What drove “{prediction.label}”: the brighter the colour, the more it counted")
    with columns[-1]:
        st.plotly_chart(charts.probability_figure(prediction.probs), key="classify_probs",
                        config={"displayModeBar": False})
    if answer.photo is not None and len(answer.views) > 2:
        with st.expander(f"All {len(answer.views)} views the answer is averaged over"), \
                st.container(key="classify_all_views"):
            st.markdown("A photo can be turned into a 28×28 image in more than one reasonable way. The model "
                        "sees the item with its shading stretched and left plain, each also squeezed sideways, "
                        "since the dataset's garments are narrower than one laid flat for a photo, and all of "
                        "them mirrored. Its answers are averaged: steadier than any one of them.")
            st.html("<style>.st-key-classify_all_views img {image-rendering: pixelated;}</style>")
            # Two rows: the renderings (then squeezed), and below them their mirror images.
            st.image(charts.data_url(charts.tile(answer.views, columns=len(answer.views) // 2, cell=112)))
    st.session_state.classify_last_image = answer.image       # the Mistakes tab's map shows it as a star
    neighbours_view.render(answer.image)
    inside_view.render(state.chosen_classifier().model, answer.image)
