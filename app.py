"""Fashion-MNIST, live: train a small CNN and watch it learn, browse its mistakes, classify your own clothes.

Run with `make run` (or `streamlit run app.py`). This page only wires the tabs together; each tab is
one function in fashion/ui/, and all the machine learning lives in the fashion package.
"""
import sys
import time

import streamlit as st

from fashion.ui import state, train_tab  # light: neither imports PyTorch

st.set_page_config(page_title="Fashion-MNIST, live", page_icon="👕", layout="wide")
st.title("👕 Fashion-MNIST, live")
st.caption("Train a small CNN on 70,000 Zalando clothing thumbnails, see what it gets wrong, "
           "and try it on your own clothes.")

train, mistakes, classify = st.tabs(["Train a model", "Mistakes", "Classify your clothes"])
with train:
    train_tab.render()

# Importing PyTorch takes about two seconds on a small CPU, once per server process, and holds the
# interpreter while it does. On that first run, pause a moment so the server can send the title and
# the training controls to the browser first (measured: the Start button shows about 0.5 s sooner).
if "torch" not in sys.modules:
    time.sleep(0.3)
from fashion.ui import classify_tab, mistakes_tab, sidebar  # noqa: E402

state.limit_torch_threads()
sidebar.render()
with mistakes:
    mistakes_tab.render()
with classify:
    classify_tab.render()
