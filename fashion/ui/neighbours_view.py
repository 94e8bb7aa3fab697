"""The nearest training images to a Classify input, in the chosen model's feature space."""
from __future__ import annotations

from collections import Counter

import numpy as np
import streamlit as st

from fashion.classes import CLASS_NAMES
from fashion.data import DataError
from fashion.neighbours import features_of_image
from fashion.ui import charts, state

NEIGHBOURS = 8
TILE_PX = 112
FAR = 1.5                 # nearest distance, as a multiple of a typical test image's, that counts as far


def render(image: np.ndarray) -> None:
    """The neighbours of one input's main 28x28 view (float, in [0, 1])."""
    with st.container(key="classify_neighbours"):
        st.markdown("**The nearest training images** in the model's feature space: the images it learned from "
                    "that it sees as most alike. They show why it answered as it did, and why it may warn.")
        try:
            state.dataset()
        except DataError as error:
            st.info(f"They need the Fashion-MNIST training images. {error}")
            return
        if index_ready("Find the nearest training images", "classify_find_neighbours"):
            draw(image)


# What building a model's index costs, said on the button that starts it.
COST = ("It computes the model's features of all 70,000 images, once per model: about 45 s for the shipped "
        "model on two cores, seconds for the ones you train.")


def index_ready(label: str, key: str) -> bool:
    """True if the chosen model's index is ready; else a button that starts building it, or its progress."""
    index = state.chosen_index()
    if index.ready:
        return True
    if index.building:
        st.fragment(index_progress, run_every=1.0)()
    else:
        st.button(label, key=key, on_click=index.build_in_background, help=COST)
    return False


def index_progress() -> None:
    """Progress while the index is built in the background (no timer unless someone asked for it), then one
    full rerun to draw what needed it."""
    index = state.chosen_index()
    if index.ready or not index.building:
        st.rerun()
    st.progress(index.progress, text="Computing the model's features of all 70,000 images, once per model…")


def draw(image: np.ndarray) -> None:
    index = state.chosen_index()()
    found, distances = index.nearest(features_of_image(state.chosen_classifier().model, image), NEIGHBOURS)
    data = state.dataset()
    labels = [CLASS_NAMES[int(data.train_labels[i])] for i in found]
    st.html("<style>.st-key-classify_neighbours img {image-rendering: pixelated;}</style>")
    for column, i, label, distance in zip(st.columns(NEIGHBOURS), found, labels, distances, strict=True):
        column.image(charts.data_url(charts.upscale(data.train_images[i].numpy(), TILE_PX)), width="stretch")
        column.caption(f"**{label}**  \ndistance {distance:.1f}")
    st.caption(summary(labels, distances[0], index.typical))


def summary(labels: list[str], nearest: float, typical: float) -> str:
    """One sentence on what the neighbours say: which class they are, and how near."""
    (common, count), = Counter(labels).most_common(1)
    ratio = nearest / max(typical, 1e-9)
    near = (f"The nearest is {ratio:.1f}× as far as a test image's nearest usually is ({typical:.1f}): "
            + ("farther than usual, so the model has seen nothing quite like it."
               if ratio > FAR else "about as near as usual."))
    return f"{count} of {len(labels)} are {common}. {near}"
