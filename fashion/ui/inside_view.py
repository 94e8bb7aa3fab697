"""The "inside the network" expander: each stage's feature maps for one image, and the first filters."""
from __future__ import annotations

import numpy as np
import streamlit as st

from fashion import inside
from fashion.model import Model, member_count
from fashion.ui import charts

MAP_PX = 56               # every map drawn 56 px wide, whatever its size: 28x28 doubled, 3x3 a little less
FILTER_PX = 36


def render(model: Model, image: np.ndarray, key: str = "inside_network", columns: int = 16) -> None:
    """The expander for one float image (28, 28) in [0, 1]; `key` names its container."""
    with st.expander("Inside the network: what each layer makes of this image"), st.container(key=key):
        st.html(f"<style>.st-key-{key} img {{image-rendering: pixelated;}}</style>")
        st.markdown("Each stage of the network turns its input into many **feature maps**, one per channel: "
                    "where in the image the channel found what it looks for. The first stage answers to edges "
                    "and bright or dark areas; later ones, smaller and more numerous, to parts such as a "
                    "sleeve, a collar or a heel. Maps are sorted strongest first (by their mean), and **each "
                    "is scaled to its own maximum**: black is zero, white the map's strongest response.")
        if member_count(model) > 1:
            st.caption(f"This model averages {member_count(model)} networks built alike; these are the first's.")
        for stage in inside.feature_maps(model, image):
            shown = stage.maps[:inside.SHOWN_MAPS]
            c, h, w = stage.shape
            more = f" · the {len(shown)} strongest of {c} maps" if c > len(shown) else f" · all {c} maps"
            st.markdown(f"**{stage.name}** · output {c}×{h}×{w}{more}")
            st.image(charts.data_url(charts.tile(shown, columns=min(columns, len(shown)), cell=MAP_PX)))
        filters = inside.first_filters(model)
        k = filters.shape[1]
        st.markdown(f"**The first convolution's {len(filters)} learned {k}×{k} filters**: grey is a weight of zero, "
                    "white positive, black negative (each filter scaled by its largest weight). A filter "
                    "bright on one side and dark on the other finds edges across it.")
        st.image(charts.data_url(charts.tile(filters, columns=min(columns, len(filters)), cell=FILTER_PX)))
