"""Views of a run in the Train tab beside its curves: the live strip while it trains, the replay of a
finished run's evaluations, and a finished run's precision, recall and calibration."""
from __future__ import annotations

import streamlit as st

from fashion.classes import CLASS_NAMES, LIVE_TEST_IMAGES
from fashion.jobs import TrainingJob
from fashion.ui import charts, state, warm_up


def live_strip(job: TrainingJob, snap) -> None:
    """Under the curves: the model's answers, as of its last evaluation, on a dozen fixed test images (and on
    the person's last Classify input), and its first-layer filters."""
    live = snap.evals[-1].live if snap.evals else None
    if live is None or not state.dataset.ready:
        return
    data = state.dataset()
    images = [data.test_images[i].numpy() for i in LIVE_TEST_IMAGES]
    truths = [CLASS_NAMES[int(data.test_labels[i])] for i in LIVE_TEST_IMAGES]
    if job.own_image is not None:
        images, truths = images + [job.own_image], truths + [None]
    with st.container(key="train_live_predictions"):
        st.html("<style>.st-key-train_live_predictions img {image-rendering: pixelated;}</style>")
        st.markdown(f"**The model now**, at step {snap.evals[-1].step}: its answers on fixed test images, "
                    "green when right" + (", and on your last Classify input" if job.own_image is not None else "")
                    + "; beside them, its first-layer filters (grey: zero, white: positive, black: negative).")
        strip, filters = st.columns([7, 1])
        for column, image, truth, probs in zip(strip.columns(len(images)), images, truths, live.probs, strict=True):
            best = max(range(len(probs)), key=probs.__getitem__)
            answer = f"{CLASS_NAMES[best]} {probs[best]:.0%}"
            column.image(charts.data_url(charts.upscale(image, 56)), width="stretch")
            column.caption(f"yours: {answer}" if truth is None else
                           f":{'green' if CLASS_NAMES[best] == truth else 'red'}[{answer}]")
        filters.image(charts.data_url(charts.tile(live.filters, columns=4, cell=27)), width="stretch")


def replay(runs: list[state.Run]) -> None:
    """A finished run's evaluations, one at a time: how its confusion matrix and per-class accuracy grew."""
    replayable = [run for run in runs if run.evals]
    if not replayable:
        return
    with st.expander("Replay a run: its confusion matrix and per-class accuracy at each evaluation"), \
            st.container(key="train_replay"):
        names = [run.name for run in replayable]
        if st.session_state.get("train_replay_run") not in names:
            st.session_state.train_replay_run = names[-1]
        name = st.selectbox("Run", names, key="train_replay_run")
        evals = next(run for run in replayable if run.name == name).evals
        labels = [f"step {e['step']} (epoch {e['epoch']:.2f})" for e in evals]
        if st.session_state.get("train_replay_step") not in labels:
            st.session_state.train_replay_step = labels[-1]
        at = labels.index(st.select_slider("Evaluation", labels, key="train_replay_step")) if len(labels) > 1 else 0
        chosen = evals[at]
        st.caption(f"Test accuracy {chosen['accuracy']:.2%} at step {chosen['step']}, "
                   f"evaluation {at + 1} of {len(evals)}.")
        c1, c2 = st.columns(2)
        c1.plotly_chart(charts.confusion_figure(chosen["confusion"]), key="train_replay_confusion")
        c2.plotly_chart(charts.per_class_figure(chosen["per_class"]), key="train_replay_per_class")


def run_metrics(runs: list[state.Run]) -> None:
    """A finished run's precision, recall and F1 per class, precision-recall curves and calibration, for the run
    picked. Its model classifies the test images when first asked (kept with the run), so nothing is worked
    out, nor PyTorch waited for, until the expander is opened."""
    if not runs:
        return
    expander = st.expander("Precision, recall and calibration of a run", key="train_metrics", on_change="rerun")
    with expander:
        if not expander.open:
            return
        names = [run.name for run in runs]
        if st.session_state.get("train_metrics_run") not in names:
            st.session_state.train_metrics_run = names[-1]
        name = st.selectbox("Run", names, key="train_metrics_run")
        run = next(run for run in runs if run.name == name)
        warm_up.wait_for_torch()      # the Train tab draws before PyTorch has loaded; these need it
        from fashion.ui import metrics_view

        with st.spinner("Classifying the 10,000 test images with this run's model…"):
            probs = state.test_probs_of(run)
        # Its own key: the Mistakes tab's view (metrics_report) can be on the page at the same time.
        metrics_view.render(run.name, probs, state.dataset().test_labels, key="metrics_report_run")
