"""Train tab: pick settings, press Start, watch the model learn, compare runs.

Training runs in a worker process (fashion.jobs, fashion.workers); this tab only submits jobs and draws
their progress from a fragment that reruns while a job is active. A finished run is kept in the run
store by the job itself (fashion.ui.state.keep_run), so a reload or a restart loses none.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import replace

import streamlit as st

from fashion.config import ARCHITECTURES, CUSTOM, Setting, TrainConfig, setting_of
from fashion.jobs import (
    FAILED,
    PAUSED,
    QUEUED,
    RUNNING,
    JobQueue,
    Parent,
    TrainingJob,
    in_worker_processes,
    kept,
    threads_per_job,
)
from fashion.ui import builder_view, charts, curves, data_view, lr_finder_view, recipes, state, train_views

# The settings the tab offers, in the order drawn (two rows of four), each with its widget's key; the
# others keep their TrainConfig defaults. Labels, help, bounds and choices come from fashion.config.
WIDGET_KEYS = {"arch": "train_arch", "epochs": "train_epochs", "batch_size": "train_batch", "lr": "train_lr",
               "optimizer": "train_optimizer", "seed": "train_seed", "augment": "train_augment"}
MAX_LIVE_EPOCHS = 30          # the package allows more; in the browser, longer runs are no fun to watch
SESSION_GRACE_S = 15          # a tab that reconnects within this many seconds keeps its job
RUNNING_POLL_S = 1.0          # the live progress redraws this often
# A waiting panel only has its place in line to show; each redraw is a script run on the shared server.
QUEUED_POLL_S = 3.0


def max_jobs() -> int:
    return int(os.environ.get("FASHION_MAX_JOBS", "1"))


def worker_kind() -> tuple[int, str]:
    """Torch threads and device of each training worker (the warm-up starts the first one so)."""
    return threads_per_job(max_jobs()), str(state.device())


@st.cache_resource
def job_queue() -> JobQueue:
    """One queue for the whole server process: it is what limits concurrent training across sessions."""
    queue = JobQueue(in_worker_processes(*worker_kind()), max_jobs(), on_finish=state.keep_run)
    queue.stop_at_exit()
    return queue


def session_alive() -> Callable[[], bool]:
    """A callable telling a worker thread whether this browser session is still there."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():   # AppTest and bare scripts have no runtime to ask
        return lambda: True
    runtime, session_id = Runtime.instance(), ctx.session_id
    return liveness(lambda: runtime.is_active_session(session_id), SESSION_GRACE_S)


def liveness(is_active: Callable[[], bool], grace_s: float,
             clock: Callable[[], float] = time.monotonic) -> Callable[[], bool]:
    """A callable that is True while is_active() is, and for grace_s seconds after it last was.

    The grace keeps a job through a page reload or a brief network drop, when the browser reconnects.
    """
    last_seen = clock()

    def alive() -> bool:
        nonlocal last_seen
        if is_active():
            last_seen = clock()
        return clock() - last_seen < grace_s
    return alive


def settings() -> None:
    """The controls, defaulting to the fast live recipe; their values live in st.session_state."""
    columns = [*st.columns(4), *st.columns(4)]      # two rows: room for one more setting
    for column, name in zip(columns, WIDGET_KEYS, strict=False):
        control(column, shown_setting(name))


def shown_setting(name: str) -> Setting:
    """A setting as the tab offers it (and a link may set it): epochs capped, the rest as described."""
    setting = setting_of(name)
    return replace(setting, bounds=(setting.bounds[0], MAX_LIVE_EPOCHS)) if name == "epochs" else setting


def control(column, setting: Setting) -> None:
    """The widget for one setting, of the kind its description calls for."""
    key, label, default, tip = WIDGET_KEYS[setting.name], setting.label, setting.default, setting.help
    if setting.choices is not None:
        column.selectbox(label, setting.choices, index=setting.choices.index(default), key=key, help=tip,
                         format_func=describe_arch if setting.name == "arch" else str)
    elif setting.presets is not None:
        column.select_slider(label, state.offered(setting.presets, default, key), default, key=key, help=tip)
    elif isinstance(default, bool):
        column.toggle(label, default, key=key, help=tip)
    else:
        column.number_input(label, *setting.bounds, default, key=key, help=tip)


def describe_arch(name: str) -> str:
    return f"{name}: {ARCHITECTURES[name].description if name in ARCHITECTURES else 'your own design, below'}"


def chosen_config() -> TrainConfig:
    """The config the controls describe, read from st.session_state (callbacks run before the widgets; before
    the widgets' first drawing, the defaults)."""
    values = {name: st.session_state.get(key, setting_of(name).default) for name, key in WIDGET_KEYS.items()}
    # Cast to each field's type, whatever number type a widget hands back.
    return TrainConfig(**{name: type(setting_of(name).default)(value) for name, value in values.items()},
                       spec=builder_view.chosen_spec() if values["arch"] == CUSTOM else None)


def start() -> None:
    launch(chosen_config)


def launch(config: Callable[[], TrainConfig], **options) -> None:
    """Start this session's run of `config()` (a run of the settings, or a continued one), one at a time;
    a setting out of bounds becomes a sentence above the progress."""
    job: TrainingJob | None = st.session_state.get("job")
    if job is not None and not job.finished:
        st.session_state.train_error = "A run is already training: stop it first, or let it finish."
        return
    try:
        st.session_state.job = submit(config(), **options)
        st.session_state.pop("last_job", None)
    except ValueError as e:
        st.session_state.train_error = str(e)


def submit(config: TrainConfig, **options) -> TrainingJob:
    """Queue a job of this session's person: a run, a continued run or a learning-rate sweep."""
    return job_queue().submit(config, alive=session_alive(), owner=state.owner_id(),
                              own_image=st.session_state.get("classify_last_image"), **options)


def stop() -> None:
    job: TrainingJob | None = st.session_state.get("job")
    if job is not None:
        job.stop()


def pause() -> None:
    if (job := st.session_state.get("job")) is not None:
        job.pause()


def resume() -> None:
    if (job := st.session_state.get("job")) is not None:
        job.resume()


def nudge(factor: float) -> None:
    if (job := st.session_state.get("job")) is not None and not job.finished:
        job.nudge(factor)


def continue_run(run: state.Run) -> None:
    """Train the run's model further, as a new run: its settings, the epochs and learning rate asked for."""
    def config() -> TrainConfig:
        return TrainConfig.from_dict({**run.config, "epochs": st.session_state[f"train_continue_epochs_{run.number}"],
                                      "lr": st.session_state[f"train_continue_lr_{run.number}"]})
    launch(config, parent=Parent(run.number, run.model_file, run.end_epoch))


def reattach() -> None:
    """A reloaded page (or a second tab of the same person) shows the person's run that waits or trains."""
    if st.session_state.get("job") is None and (job := job_queue().job_of(state.owner_id())) is not None:
        job.watch(session_alive())
        st.session_state.job = job


def render() -> None:
    reattach()
    recipes.read_link(WIDGET_KEYS, [shown_setting(name) for name in WIDGET_KEYS])    # before the widgets
    recipes.preset_picker(WIDGET_KEYS, chosen_config())
    settings()
    config = chosen_config()
    builder_view.render(config)
    recipes.write_link(config, WIDGET_KEYS)
    data_view.render(config)
    lr_finder_view.render(chosen_config, submit)
    job: TrainingJob | None = st.session_state.get("job")
    busy = job is not None and not job.finished
    buttons(job, busy, config)
    if error := st.session_state.pop("train_error", None):
        st.error(error)
    # Only the progress redraws; the history below changes once per run, by a full rerun.
    st.fragment(progress_panel, run_every=poll_interval(job))(job.state if busy else None)
    with st.container(key="train_history"):
        history()


def buttons(job: TrainingJob | None, busy: bool, config: TrainConfig) -> None:
    """Start and Stop; Pause and Resume; the learning-rate nudges, which act from the next batch on; a link
    to these settings."""
    state_now = job.state if busy else None
    b1, b2, b3, b4, b5, b6, b7 = st.columns([1, 1, 1, 1, 1, 1, 2])
    with b7.popover("Copy a link to these settings", icon=":material/link:", width="stretch"):
        recipes.share_link(config, WIDGET_KEYS)
    b1.button("▶ Start", key="train_start", type="primary", on_click=start, disabled=busy, width="stretch")
    b2.button("■ Stop", key="train_stop", disabled=not busy, on_click=stop, width="stretch")
    b3.button("⏸ Pause", key="train_pause", disabled=state_now != RUNNING, on_click=pause, width="stretch",
              help="Pause before the next batch. While paused, your run gives its turn to the next one in line.")
    b4.button("⏵ Resume", key="train_resume", disabled=state_now != PAUSED or job.resuming, on_click=resume,
              width="stretch", help="Go on where it paused; if another run trains now, yours is next.")
    tip = "the learning rate from the next batch on, on top of the schedule; marked on the curves."
    b5.button("lr ×0.5", key="train_lr_half", disabled=state_now not in (RUNNING, PAUSED), on_click=nudge,
              args=(0.5,), width="stretch", help=f"Halve {tip}")
    b6.button("lr ×2", key="train_lr_double", disabled=state_now not in (RUNNING, PAUSED), on_click=nudge,
              args=(2.0,), width="stretch", help=f"Double {tip}")


def poll_interval(job: TrainingJob | None) -> float | None:
    """Seconds between redraws of the progress panel: none without a job, rarely while it waits its turn
    or is paused."""
    if job is None or job.finished:
        return None
    return RUNNING_POLL_S if job.state == RUNNING else QUEUED_POLL_S


def progress_panel(drawn_for: str | None) -> None:
    """Live view of this session's current job; when it ends, file it in the history. `drawn_for` is the
    job's state when the panel's timer was set: a new state gets a full rerun, and the timer that suits it."""
    job: TrainingJob | None = st.session_state.get("job")
    if job is not None and not job.finished and job.state != drawn_for:
        st.rerun()
    if job is not None and job.finished:
        # The job kept its run in the store (state.keep_run). One full rerun, before this fragment draws
        # anything: it stops the timer, and the history, Start and the sidebar's model picker show the run.
        st.session_state.job, st.session_state.last_job = None, (job, job.snapshot())
        st.rerun()
    with st.container(key="train_progress"):
        if job is None:
            last_run()
            return
        snap = job.snapshot()
        if snap.state == QUEUED:
            ahead = snap.position
            st.info(f"Waiting: {ahead} run{'s' if ahead != 1 else ''} ahead of yours on this server. "
                    "Press Stop to cancel.")
            return
        if snap.state == PAUSED:
            paused_note(snap)
        draw_progress(job, snap)


def paused_note(snap) -> None:
    step = snap.latest.step if snap.latest else 0
    if snap.resuming:
        st.info(f"Paused at step {step}, and next in line: it goes on as soon as the run training now "
                "finishes or pauses.")
    else:
        st.info(f"Paused at step {step}. While paused it uses no CPU and gives its turn to the next run in "
                "line; press **Resume** to go on (first in line), or change the learning rate first.")


def last_run() -> None:
    """Before the first run: how to begin; after one: its final charts, until the next Start."""
    if "last_job" not in st.session_state:
        st.info("Press **Start** to train a model with these settings. The defaults pass 90% test "
                "accuracy in seconds; you can switch tabs while it trains.")
        return
    job, snap = st.session_state.last_job
    if snap.latest is None and snap.state == FAILED:      # e.g. no data to train on
        st.error(f"That run could not start: {snap.error}")
        return
    if snap.latest is None:      # cancelled while waiting, or stopped before its first step
        st.info("That run stopped before it began. Press **Start** to train one.")
        return
    if not kept(snap):
        st.info("That run was stopped before its first evaluation, so it is not kept in your runs. "
                "Press **Start** to train another.")
    elif snap.state != FAILED and snap.result is not None:
        verb = "stopped" if snap.result.stopped else "finished"
        st.success(f"Run {verb}: {snap.result.report.accuracy:.2%} test accuracy in "
                   f"{snap.result.elapsed_s:.0f} s. Press **Start** to train another; compare runs below.")
    draw_progress(job, snap)


def draw_progress(job: TrainingJob, snap) -> None:
    config, latest = job.config, snap.latest
    if latest is None:
        st.progress(0.0, text="Starting…")
        return
    st.progress(min(1.0, latest.step / latest.total_steps),
                text=f"Epoch {latest.epoch}/{config.epochs} · step {latest.step}/{latest.total_steps} · "
                     f"{latest.images_per_s:,.0f} images/s on {state.device()} · ETA {latest.eta_s:.0f} s")
    test_acc = snap.evals[-1].report.accuracy if snap.evals else None
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Test accuracy", f"{test_acc:.2%}" if test_acc is not None else "—")
    m2.metric("Train accuracy (this epoch)", f"{latest.train_accuracy:.2%}")
    m3.metric("Loss", f"{latest.loss:.3f}")
    m4.metric("Elapsed", f"{latest.elapsed_s:.0f} s")
    st.plotly_chart(live_chart(job, snap), key="train_live_chart")
    train_views.live_strip(job, snap)
    if snap.evals:
        report = snap.evals[-1].report
        c1, c2 = st.columns(2)
        c1.plotly_chart(charts.confusion_figure(report.confusion), key="train_confusion")
        c2.plotly_chart(charts.per_class_figure(report.per_class), key="train_per_class")
    if snap.state == FAILED:
        st.error(f"This run failed: {snap.error}")


def live_chart(job: TrainingJob, snap):
    """The run's curves; a continued run's go on from its parent's epochs."""
    config, offset = job.config, job.parent.epoch if job.parent else 0.0

    def epochs(steps: list[int]) -> list[float]:
        return [offset + epoch for epoch in config.in_epochs(steps)]
    nudges = [(epochs([step])[0], factor) for step, factor in snap.nudges]
    return curves.live_figure(epochs(snap.steps), snap.losses, snap.train_accuracy,
                              epochs([e.step for e in snap.evals]), [e.report.accuracy for e in snap.evals],
                              snap.lrs, nudges)


def use_model(name: str) -> None:
    st.session_state.model_choice = name


def history() -> None:
    runs = state.runs()
    if not runs:
        return
    st.subheader("Your runs")
    st.plotly_chart(curves.compare_figure(runs), key="train_compare")
    if len(runs) > 1:
        st.plotly_chart(curves.parallel_figure(runs), key="train_parallel")
    st.dataframe([{"run": r.name, "architecture": r.architecture, "epochs": r.config["epochs"],
                   "batch": r.config["batch_size"], "lr": r.config["lr"], "optimizer": r.config["optimizer"],
                   "augment": r.config["augment"], "seed": r.config["seed"], "test accuracy": f"{r.accuracy:.2%}",
                   "seconds": round(r.seconds), "device": r.device, "finished": "stopped" if r.stopped else "yes"}
                  for r in runs],
                 hide_index=True, width="stretch")
    busy = (job := st.session_state.get("job")) is not None and not job.finished
    for i, run in enumerate(runs):
        c1, c2, c3, c4 = st.columns([4, 2, 2, 2])
        c1.write(f"**{run.name}**")
        c2.download_button("Download .safetensors", run.model_file, file_name=f"fashion_run{i + 1}.safetensors",
                           mime="application/octet-stream", key=f"train_download_{i}")
        c3.button("Use in Mistakes & Classify", key=f"train_use_{i}", on_click=use_model, args=(run.name,),
                  disabled=state.chosen_name() == run.name)
        with c4.popover("Continue training", disabled=busy, width="stretch"):
            continue_form(run, i)
    train_views.replay(runs)
    train_views.run_metrics(runs)


def continue_form(run: state.Run, i: int) -> None:
    """More epochs from this run's weights, as a new run linked to it: fine-tuning, usually at a lower rate."""
    lr = setting_of("lr")
    st.caption(f"Train {run.name.split(' · ')[0]}'s model further, with its settings and a new schedule; "
               "the new run is drawn as a continuation of its curves.")
    st.number_input("More epochs", 1, MAX_LIVE_EPOCHS, 1, key=f"train_continue_epochs_{run.number}")
    st.number_input("Learning rate (peak)", lr.bounds[0], lr.bounds[1], max(lr.bounds[0], run.config["lr"] / 10),
                    format="%.5f", key=f"train_continue_lr_{run.number}",
                    help="A tenth of the run's own is a usual start for fine-tuning.")
    st.button("▶ Continue", key=f"train_continue_{i}", type="primary", on_click=continue_run, args=(run,))
