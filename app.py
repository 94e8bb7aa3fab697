"""Fashion-MNIST, live: train a small CNN and watch it learn, browse its mistakes, classify your own clothes.

Run with `make run` (or `streamlit run app.py`). This page only wires the tabs together; each tab is
one function in fashion/ui/, and all the machine learning lives in the fashion package.
"""
import streamlit as st

from fashion.ui import warm_up  # light: the standard library only

# Once per process, a background thread imports the heavy modules and loads what every session reads;
# this script waits for the part it needs next, so the title and the Train tab show while PyTorch loads.
warm_up.start()
st.set_page_config(page_title="Fashion-MNIST, live", page_icon="👕", layout="wide")
st.title("👕 Fashion-MNIST, live")
st.caption("Train a small CNN on 70,000 Zalando clothing thumbnails, see what it gets wrong, "
           "and try it on your own clothes.")
# Switching tabs reruns the script, so the Mistakes tab (charts and 40 images: 2 s of the browser's time
# on a small CPU) is drawn only while it is open and never delays the others; the Classify tab keeps its
# inputs on the page and draws a result only while open.
train, mistakes, classify = st.tabs(["Train a model", "Mistakes", "Classify your clothes"], key="tab",
                                    on_change="rerun")

warm_up.wait_for_page()
from fashion.ui import train_tab  # noqa: E402

with train:
    train_tab.render()

warm_up.wait_for_torch()
from fashion.ui import classify_tab, mistakes_tab, sidebar  # noqa: E402

sidebar.render()
with classify:
    classify_tab.render(shown=classify.open)
with mistakes:
    if mistakes.open:
        mistakes_tab.render()
    else:
        mistakes_tab.keep_state()
