"""Mistakes tab: browse the test images the chosen model gets wrong."""
from __future__ import annotations

import math

import streamlit as st
import torch

from fashion.classes import CLASS_NAMES
from fashion.data import DataError
from fashion.evaluate import Mistakes, answers_at, find_mistakes, report_from_probs
from fashion.neighbours import features_of_image
from fashion.ui import charts, inside_view, metrics_view, neighbours_view, state

ALL = "All"
FILTER_OPTIONS = [ALL, *CLASS_NAMES]
SORTS = ("Most confident first", "Test index")
PAGE_SIZE = 40
GRID_COLUMNS = 8
TILE_PX = 112          # 28 x 4: a whole factor keeps the upscaled pixels square
DETAIL_PX = 280
DEFAULTS = {"mistakes_true": ALL, "mistakes_pred": ALL, "mistakes_sort": SORTS[0], "mistakes_page": 1,
            "mistakes_detail": None, "mistakes_map_selection": []}


def init_state() -> None:
    """Give the tab's widgets their starting values once per session."""
    for key, value in DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = value


def keep_state() -> None:
    """While the tab is closed its widgets are not drawn, and Streamlit would forget their values: keep the
    filters and the page for when the person comes back."""
    for key in DEFAULTS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def reset_page() -> None:
    st.session_state.mistakes_page = 1


def filters_from_point(point: dict) -> tuple[str, str]:
    """The (true, predicted) filter values for a clicked confusion-matrix cell."""
    true, predicted = point.get("y"), point.get("x")
    if true not in CLASS_NAMES or predicted not in CLASS_NAMES:
        return ALL, ALL
    # A diagonal cell holds correct answers, not mistakes: show every mistake on that class instead.
    return true, ALL if predicted == true else predicted


def on_cell_click() -> None:
    """Set both filters from the clicked cell; runs before the filter widgets are created."""
    event = st.session_state.get("mistakes_confusion")
    points = (event or {}).get("selection", {}).get("points", [])
    if points:
        st.session_state.mistakes_true, st.session_state.mistakes_pred = filters_from_point(points[0])
        st.session_state.mistakes_map_selection = []
        reset_page()


def selection_from_event(event) -> list[int]:
    """The test indices of the points selected on the embedding map (each point's customdata)."""
    points = (event or {}).get("selection", {}).get("points", [])
    return sorted({int(p["customdata"]) for p in points if isinstance(p.get("customdata"), (int, float))})


def on_map_select() -> None:
    st.session_state.mistakes_map_selection = selection_from_event(st.session_state.get("embedding_map"))
    reset_page()


def clear_map_selection() -> None:
    st.session_state.mistakes_map_selection = []
    reset_page()


def show_detail(index: int) -> None:
    st.session_state.mistakes_detail = index


def select(mistakes: Mistakes, true: str, predicted: str, sort: str) -> list[int]:
    """Positions in `mistakes` that pass the filters, in display order."""
    keep = torch.ones(len(mistakes), dtype=torch.bool)
    if true != ALL:
        keep &= mistakes.true == CLASS_NAMES.index(true)
    if predicted != ALL:
        keep &= mistakes.predicted == CLASS_NAMES.index(predicted)
    positions = keep.nonzero().flatten()
    if sort == SORTS[0]:
        positions = positions[mistakes.confidence[positions].argsort(descending=True, stable=True)]
    return positions.tolist()


def render() -> None:
    try:
        state.dataset()
    except DataError as error:
        # The other tabs go on: Classify needs no data, and Train says the same when it starts.
        st.error(f"The Mistakes tab shows the model's errors on the Fashion-MNIST test images. {error}")
        return
    if not state.test_probs_ready():
        st.fragment(wait_for_predictions, run_every=1.0)()
        return
    init_state()
    probs = state.chosen_test_probs()
    labels = state.dataset().test_labels
    report = report_from_probs(probs, labels)
    mistakes = find_mistakes(probs, labels)
    st.markdown(f"**{state.chosen_name()}** gets **{len(mistakes):,}** of {len(labels):,} test images wrong "
                f"({report.accuracy:.1%} accuracy). Click a cell of the confusion matrix to see those mistakes.")
    render_charts(report.confusion, report.per_class)
    render_metrics(probs, labels)
    render_map(probs, labels)
    positions = render_filters(mistakes)
    if selected := st.session_state.mistakes_map_selection:
        # Points picked on the map, right answers or wrong, take the place of the filtered mistakes.
        mistakes, positions = answers_at(probs, labels, torch.tensor(selected)), list(range(len(selected)))
    # Browsers smooth enlarged images; the tiles should show the model's pixels as crisp squares.
    st.html("<style>.st-key-mistakes_images img, .st-key-mistakes_detail_view img "
            "{image-rendering: pixelated;}</style>")
    grid, detail = st.columns([3, 1], gap="medium")
    with grid, st.container(key="mistakes_images"):
        page = render_grid(mistakes, positions, "images picked on the map" if selected else "mistakes")
    with detail, st.container(key="mistakes_detail_view"):
        render_detail(mistakes, probs, page)


def wait_for_predictions() -> None:
    """A note while the server classifies the test images with the shipped model (once per process, in the
    background), then one full rerun to draw the tab."""
    if state.test_probs_ready():
        st.rerun()
    state.shipped_test_probs.build_in_background()    # the server's warm-up builds it; this, if that failed
    st.info("Classifying the 10,000 test images with the shipped model… its mistakes appear here in a moment. "
            "The other tabs are ready.")


def render_charts(confusion: list[list[int]], per_class: list[float]) -> None:
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(charts.confusion_figure(confusion), key="mistakes_confusion", on_select=on_cell_click,
                        selection_mode="points", config={"displayModeBar": False})
    with right:
        st.plotly_chart(charts.per_class_figure(per_class), key="mistakes_per_class",
                        config={"displayModeBar": False})


def render_metrics(probs: torch.Tensor, labels: torch.Tensor) -> None:
    """The chosen model's precision, recall and F1 per class, its precision-recall curves and calibration:
    worked out and drawn only while the expander is open, so the tab stays light."""
    expander = st.expander("Precision, recall and calibration", key="mistakes_metrics", on_change="rerun")
    with expander:
        if expander.open:
            metrics_view.render(state.chosen_name(), probs, labels)


def render_map(probs: torch.Tensor, labels: torch.Tensor) -> None:
    """The embedding map: the chosen model's features of the test images on their two main directions."""
    with st.expander("The embedding map: the test images as the model sees them"), \
            st.container(key="mistakes_embedding"):
        st.markdown("Each dot is one test image, placed by the model's features (their two main directions), "
                    "coloured by its true class; the black-ringed ones are mistakes. Images the model finds "
                    "alike lie close. Draw a lasso (or, with the toolbar, a box) around some dots to see them in "
                    "the grid below; your last Classify input is the star.")
        if not neighbours_view.index_ready("Draw the map", "mistakes_draw_map"):
            return
        index = state.chosen_index()()
        star = None
        if (image := st.session_state.get("classify_last_image")) is not None:
            features = features_of_image(state.chosen_classifier().model, image)
            star = tuple(index.on_map(features[None])[0].tolist())
        # 10,000 points take 60 ms to lay out: once per model and star, not on every rerun of the tab.
        figures = st.session_state.setdefault("mistakes_map_figures", {})
        key = (state.chosen_name(), star)
        if key not in figures:
            figures.clear()
            figures[key] = charts.embedding_figure(index.test_map.numpy(), labels.numpy(), probs.argmax(1).numpy(),
                                                   star)
        st.plotly_chart(figures[key], key="embedding_map", on_select=on_map_select, selection_mode=("box", "lasso"))


def render_filters(mistakes: Mistakes) -> list[int]:
    """Filter, sort and page widgets; returns the filtered positions in display order."""
    true_col, pred_col, sort_col, page_col = st.columns([2, 2, 2, 1])
    true_col.selectbox("True class", FILTER_OPTIONS, key="mistakes_true", on_change=reset_page)
    pred_col.selectbox("Predicted class", FILTER_OPTIONS, key="mistakes_pred", on_change=reset_page)
    sort_col.radio("Order", SORTS, key="mistakes_sort", horizontal=True, on_change=reset_page)
    positions = select(mistakes, st.session_state.mistakes_true, st.session_state.mistakes_pred,
                       st.session_state.mistakes_sort)
    pages = max(1, math.ceil(len(positions) / PAGE_SIZE))
    if not 1 <= st.session_state.mistakes_page <= pages:
        st.session_state.mistakes_page = 1       # a new model or filter can leave the old page out of range
    page_col.number_input("Page", min_value=1, max_value=pages, step=1, key="mistakes_page")
    return positions


def render_grid(mistakes: Mistakes, positions: list[int], noun: str) -> list[int]:
    """One page of tiles (mistakes, or the images picked on the map); returns the positions on it."""
    page = st.session_state.mistakes_page
    shown = positions[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    if not shown:
        st.caption(f"0 {noun}")
        st.info("No mistakes with these filters.")
        return shown
    st.caption(f"{len(positions):,} {noun} · showing {(page - 1) * PAGE_SIZE + 1}–"
               f"{(page - 1) * PAGE_SIZE + len(shown)}")
    if noun != "mistakes":
        st.button("Back to the filtered mistakes", key="mistakes_clear_map", on_click=clear_map_selection)
    images = state.dataset().test_images
    for row in range(0, len(shown), GRID_COLUMNS):
        # The last row may be short: its extra columns stay empty.
        for column, position in zip(st.columns(GRID_COLUMNS), shown[row:row + GRID_COLUMNS], strict=False):
            with column:
                render_tile(mistakes, position, images)
    return shown


def render_tile(mistakes: Mistakes, position: int, images: torch.Tensor) -> None:
    index = int(mistakes.index[position])
    true, predicted = CLASS_NAMES[int(mistakes.true[position])], CLASS_NAMES[int(mistakes.predicted[position])]
    st.image(charts.data_url(charts.upscale(images[index].numpy(), TILE_PX)), width="stretch")
    st.caption(f"**{true}** → {predicted}  \n{mistakes.confidence[position]:.0%} sure")
    st.button(f"#{index}", key=f"mistakes_show_{index}", on_click=show_detail, args=(index,), type="tertiary",
              help="Show this image larger, with its top probabilities")


def render_detail(mistakes: Mistakes, probs: torch.Tensor, page: list[int]) -> None:
    """The chosen image, large, with its top-3 and all ten probabilities."""
    on_page = [int(mistakes.index[p]) for p in page]
    index = st.session_state.mistakes_detail
    if index not in on_page:
        if not on_page:
            return
        index = on_page[0]
    data = state.dataset()
    true = CLASS_NAMES[int(data.test_labels[index])]
    image_probs = probs[index].tolist()
    st.subheader(f"Test image #{index}")
    st.image(charts.data_url(charts.upscale(data.test_images[index].numpy(), DETAIL_PX)), width=DETAIL_PX)
    st.markdown(f"True class: **{true}**")
    top = sorted(range(len(image_probs)), key=image_probs.__getitem__, reverse=True)[:3]
    st.markdown("\n".join(f"{rank}. {CLASS_NAMES[i]}: {image_probs[i]:.1%}" for rank, i in enumerate(top, 1)))
    st.plotly_chart(charts.probability_figure(image_probs), key="mistakes_detail_probs",
                    config={"displayModeBar": False})
    image = data.test_images[index].float().div(255).numpy()
    # The same key as under a Classify result: the two tabs are never drawn with a result at once.
    inside_view.render(state.chosen_classifier().model, image, columns=8)
