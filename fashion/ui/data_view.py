"""The Train tab's look at the data (expander `data_browser`): training images of each class, the class
balance, the normalisation constants, and the same images after the augmentation chosen above, re-rolled
on demand. Drawn only while open, so a closed expander costs nothing."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from fashion.classes import CLASS_NAMES, PIXEL_MEAN, PIXEL_STD
from fashion.config import TrainConfig
from fashion.ui import charts, state, warm_up

PER_CLASS = 8


def reroll() -> None:
    st.session_state.data_browser_seed = st.session_state.get("data_browser_seed", 0) + 1


def render(config: TrainConfig) -> None:
    expander = st.expander("Look at the data: images per class, balance, normalisation, augmentation",
                           key="data_browser", on_change="rerun")
    with expander:
        if not expander.open:
            return
        warm_up.wait_for_torch()
        from fashion import data_view

        data = state.dataset()
        samples = data_view.class_samples(data.train_labels, PER_CLASS)
        images, augmented_col = st.columns(2)
        images.markdown(f"**Training images**, {PER_CLASS} of each class")
        augmented_col.markdown("**The same after augmentation**, " +
                               ("as this run will see them" if config.augment else
                                "*off for this run*: what it would do if you turned it on"))
        seed = st.session_state.get("data_browser_seed", 0)
        for label, indices in enumerate(samples):
            originals = data.train_images[indices]
            images.image(charts.data_url(charts.tile(originals.numpy(), PER_CLASS, cell=42, gap=2)),
                         caption=CLASS_NAMES[label])
            changed = data_view.augmented(originals, seed * 100 + label, config.erase).numpy()
            augmented_col.image(charts.data_url(charts.tile(changed, PER_CLASS, cell=42, gap=2)),
                                caption=CLASS_NAMES[label])
        augmented_col.button("Re-roll the augmentation", key="data_browser_reroll", on_click=reroll,
                             icon=":material/casino:",
                             help="A new random mirror, shift of up to 2 pixels and erased rectangle "
                                  f"(in {config.erase:.0%} of images) for each image.")
        balance_and_normalisation(data, data_view)


def balance_and_normalisation(data, data_view) -> None:
    train, test = data_view.class_counts(data.train_labels), data_view.class_counts(data.test_labels)
    figure = go.Figure([go.Bar(name="training", x=list(CLASS_NAMES), y=train),
                        go.Bar(name="test", x=list(CLASS_NAMES), y=test)])
    figure.update_layout(barmode="group", height=260, margin=dict(l=10, r=10, t=30, b=10),
                         title="Images per class: perfectly balanced", legend=dict(orientation="h", y=-0.3))
    st.plotly_chart(figure, key="data_browser_balance")
    stats = data_view.pixel_stats(data.train_images)
    st.markdown(f"**Normalisation.** Pixels are scaled from 0-255 to [0, 1], then every model subtracts "
                f"the training pixels' mean **{PIXEL_MEAN}** and divides by their standard deviation "
                f"**{PIXEL_STD}** as its first step (measured here on the 60,000 training images: "
                f"{stats.mean:.4f} and {stats.std:.4f}), so the inputs it learns from have mean 0 and spread 1. "
                "The images stay 28×28: no resizing for Fashion-MNIST itself; photos and sketches are "
                "brought to 28×28 on the Classify tab.")
