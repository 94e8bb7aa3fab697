"""The Train tab's learning-rate finder: a short sweep with these settings, its curve, and the suggested
rate, applied to the learning-rate control with one click. The sweep is a job in the same queue as the
runs (fashion.jobs, kind LR_SWEEP), so it waits its turn like them."""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from fashion.config import LR_SWEEP_STEPS, TrainConfig
from fashion.jobs import LR_SWEEP, QUEUED, TrainingJob
from fashion.ui import curves

POLL_S = 1.0


def render(config: Callable[[], TrainConfig], submit: Callable[..., TrainingJob]) -> None:
    """`config` reads the settings now on the page; `submit(config, kind=...)` queues a job for this session."""
    with st.expander("Find a learning rate: a short sweep with these settings"), st.container(key="train_lr_finder"):
        st.caption(f"Trains a fresh model for up to {LR_SWEEP_STEPS} batches while the learning rate grows from "
                   "tiny to huge, and draws the loss at each rate. Where the loss falls fastest is the useful "
                   "range; where it climbs, the rate is too high. It suggests a tenth of the rate at the lowest loss.")
        sweep: TrainingJob | None = st.session_state.get("lr_sweep")
        running = sweep is not None and not sweep.finished
        st.button("Sweep the learning rate", key="train_lr_find", disabled=running, on_click=start,
                  args=(config, submit))
        st.fragment(sweep_panel, run_every=POLL_S if running else None)(running)


def start(config: Callable[[], TrainConfig], submit: Callable[..., TrainingJob]) -> None:
    try:
        st.session_state.lr_sweep = submit(config(), kind=LR_SWEEP)
    except ValueError as e:
        st.session_state.lr_sweep_error = str(e)


def apply(lr: float) -> None:
    st.session_state.train_lr = lr
    st.session_state.lr_sweep_applied = True      # the click reran this fragment only: the control is outside it


def sweep_panel(drawn_running: bool) -> None:
    sweep: TrainingJob | None = st.session_state.get("lr_sweep")
    if st.session_state.pop("lr_sweep_applied", False):
        st.rerun()
    if error := st.session_state.pop("lr_sweep_error", None):
        st.error(error)
    if sweep is None:
        return
    if sweep.finished == drawn_running:        # it began or ended: a full rerun sets the timer that suits it
        st.rerun()
    snap = sweep.snapshot()
    if snap.state == QUEUED:
        st.info(f"Waiting: {snap.position} run{'s' if snap.position != 1 else ''} ahead on this server.")
        return
    if snap.error:
        st.error(f"The sweep failed: {snap.error}")
        return
    if not sweep.finished:
        text = (f"Sweeping: batch {len(snap.steps)} of up to {LR_SWEEP_STEPS}, learning rate {snap.lrs[-1]:.2g}"
                if snap.lrs else "Starting…")
        st.progress(len(snap.steps) / LR_SWEEP_STEPS, text=text)
        return
    done = snap.result
    st.plotly_chart(curves.sweep_figure(done.lrs, done.losses, done.suggested), key="train_lr_sweep_chart")
    if done.suggested is None:
        st.warning("The loss never fell during the sweep, so there is no rate to suggest: try a smaller batch.")
        return
    st.button(f"Use {done.suggested:.3g} as the learning rate", key="train_lr_apply", type="primary",
              on_click=apply, args=(float(f"{done.suggested:.3g}"),))
