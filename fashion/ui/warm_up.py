"""What the server does once per process, in one background thread: import the heavy modules, then build
what every session reads (the shipped model, the dataset, the shipped model's test predictions).

Script threads import nothing heavy themselves; they wait for the stage they need. Two script threads
importing the same module graph at once can be handed a half-initialised module (Python's way out of an
import deadlock): six sessions opening a fresh server together, 4 of 6 pages showed "partially initialized
module 'pandas' has no attribute 'Series'", raised in Plotly. This module imports only the standard library,
so app.py can start the thread before anything else.
"""
from __future__ import annotations

import importlib
import logging
import threading

log = logging.getLogger(__name__)

# What the first page (the Train tab) draws with, without PyTorch: about 0.4 s to import, once per process.
# pandas and pyarrow are imported lazily by Plotly and st.dataframe, which is where two sessions collided.
PAGE_MODULES = ("numpy", "pandas", "pyarrow", "PIL.Image", "cv2", "plotly.graph_objects", "plotly.subplots",
                "plotly.io", "fashion.ui.train_tab")
# What the other tabs need: PyTorch takes about 1.5 s of it on a small CPU.
TORCH_MODULES = ("torch", "fashion.infer", "fashion.train", "fashion.evaluate", "fashion.weights", "fashion.card",
                 "fashion.ui.classify_tab", "fashion.ui.mistakes_tab", "fashion.ui.sidebar")

page_ready = threading.Event()
torch_ready = threading.Event()
_start_lock = threading.Lock()
_thread: threading.Thread | None = None


def start() -> None:
    """Start the warm-up thread, once per process; later calls do nothing."""
    global _thread
    with _start_lock:
        if _thread is None:
            _thread = threading.Thread(target=warm_up, name="warm-up", daemon=True)
            _thread.start()


def wait_for_page() -> None:
    start()
    page_ready.wait()


def wait_for_torch() -> None:
    start()
    torch_ready.wait()


def warm_up() -> None:
    # The events are set even if an import fails: the script then imports it itself and shows the error.
    try:
        import_all(PAGE_MODULES)
        draw_each_figure_once()
    finally:
        page_ready.set()
    try:
        import_all(TORCH_MODULES)
        from fashion.jobs import share_cores

        share_cores()           # before torch starts its worker threads
    finally:
        torch_ready.set()
    build_shared()


def import_all(names: tuple[str, ...]) -> None:
    for name in names:
        importlib.import_module(name)


def draw_each_figure_once() -> None:
    """Plotly imports its validators, and Plotly's JSON encoder, on first use: let that first use be here."""
    from fashion.ui import charts, curves

    ten = [0.1] * 10
    figures = [charts.confusion_figure([[1] * 10] * 10), charts.per_class_figure(ten), charts.probability_figure(ten),
               curves.live_figure([0.0, 1.0], [1.0, 0.5], [0.5, 0.9], [1.0], [0.9], [0.1, 0.1], [(0.5, 2.0)])]
    for figure in figures:
        figure.to_json()


def build_shared() -> None:
    """The values every session reads, in the order a first visit needs them, then a training worker."""
    from fashion import workers
    from fashion.ui import state, train_tab

    try:
        for shared in (state.device_choice, state.shipped_classifier, state.dataset, state.shipped_test_probs):
            shared()
        workers.prepare(*train_tab.worker_kind())
    except Exception:       # e.g. no data installed: the tabs that need it say so, in a sentence
        log.info("warm-up: stopped early", exc_info=True)
