"""The Train tab under Streamlit's AppTest: tabs, a start-stop cycle, bounds, and two sessions sharing the queue."""
import time

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT

APP = str(ROOT / "app.py")


@pytest.fixture(autouse=True)
def no_job_left_running():
    """Stop whatever a failed test left training, so later tests find a free queue."""
    yield
    from fashion.ui.train_tab import job_queue

    job_queue().stop_all(timeout=30)


def new_session() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def progress_text(at: AppTest) -> str:
    """The words shown in the live progress area: its messages and the progress bar's caption."""
    texts = [e.value for e in list(at.info) + list(at.markdown)] + [p.proto.text for p in at.get("progress")]
    return " ".join(map(str, texts))


def rerun_until(at: AppTest, condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        at.run()
        assert not at.exception, at.exception
        if condition(at):
            return
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


def runs(at: AppTest) -> list:
    """The session's runs, as its last script run read them from the run store."""
    return list(at.session_state["runs"].values()) if "runs" in at.session_state else []


def job(at: AppTest):
    return at.session_state["job"] if "job" in at.session_state else None


def test_three_tabs_and_the_controls():
    at = new_session()
    labels = [tab.label for tab in at.tabs][:3]   # the page's own tabs come first; the Classify tab has inner ones
    assert [label.split()[0] for label in labels] == ["Train", "Mistakes", "Classify"]
    epochs = at.number_input(key="train_epochs")
    assert epochs.min == 1 and epochs.max <= 100 and epochs.value >= 1
    assert at.button(key="train_start") and at.button(key="train_stop").disabled


def test_start_stop_cycle_adds_a_run_to_the_history():
    at = new_session()
    at.number_input(key="train_epochs").set_value(1)
    at.button(key="train_start").click()
    at.run()
    rerun_until(at, lambda a: job(a) is None or len(job(a).snapshot().evals) >= 1)
    assert "Epoch 1/1" in progress_text(at) or job(at) is None
    at.run()
    strip = at.container(key="train_live_predictions")                # twelve test images and the filters
    assert len(strip.image) == 13 and sum(c.value.startswith((":green[", ":red[")) for c in strip.caption) == 12
    at.button(key="train_stop").click()
    rerun_until(at, lambda a: job(a) is None and len(runs(a)) == 1)
    run = runs(at)[0]
    assert run.stopped and 0 < run.accuracy <= 1 and run.model_file[:8]
    # The downloadable file carries the whole card, as a file saved by the CLI does.
    from fashion.weights import load_model_bytes

    _, card = load_model_bytes(run.model_file)
    assert card == run.classifier.card and card.config.epochs == 1 and card.test_accuracy == run.accuracy
    assert card.machine and card.created and card.steps > 0 and card.mirror is False
    assert run.device.startswith("cpu") and card.machine.endswith(run.device)   # where the worker trained it
    at.run()   # the sidebar's model picker lists the run from the next full rerun on
    assert any(run.name == option for option in at.selectbox(key="model_choice").options)


def test_a_run_stopped_before_its_first_evaluation_is_not_kept():
    at = new_session()
    at.button(key="train_start").click()
    at.run()
    rerun_until(at, lambda a: job(a) is not None and len(job(a).snapshot().steps) >= 3)
    assert not job(at).snapshot().evals          # the first evaluation comes at step 100
    at.button(key="train_stop").click()
    rerun_until(at, lambda a: job(a) is None)
    assert runs(at) == [] and "not kept in your runs" in progress_text(at)


def test_epochs_above_the_bound_are_refused_by_the_widget():
    from fashion.config import TrainConfig, setting_of
    from fashion.ui.train_tab import MAX_LIVE_EPOCHS

    assert MAX_LIVE_EPOCHS < setting_of("epochs").bounds[1]      # the live cap is tighter than the package's
    at = new_session()
    assert at.number_input(key="train_epochs").max == MAX_LIVE_EPOCHS
    at.number_input(key="train_epochs").set_value(MAX_LIVE_EPOCHS).run()
    assert not at.exception and at.number_input(key="train_epochs").value == MAX_LIVE_EPOCHS
    # Streamlit refuses a value past the widget's max without an exception: it puts the default back.
    at.number_input(key="train_epochs").set_value(MAX_LIVE_EPOCHS + 1).run()
    assert not at.exception and at.number_input(key="train_epochs").value == TrainConfig().epochs
    assert at.session_state["train_epochs"] == TrainConfig().epochs


def test_two_sessions_share_one_training_slot():
    first, second = new_session(), new_session()
    first.number_input(key="train_epochs").set_value(3)
    first.button(key="train_start").click()
    first.run()
    second.button(key="train_start").click()
    second.run()
    assert job(first) is not job(second)
    rerun_until(second, lambda a: "1 run ahead" in progress_text(a))
    second.button(key="train_stop").click()          # cancel while waiting
    rerun_until(second, lambda a: job(a) is None)
    assert runs(second) == []        # a cancelled wait leaves nothing behind
    rerun_until(first, lambda a: len(job(a).snapshot().evals) >= 1)   # kept: it reached an evaluation
    first.button(key="train_stop").click()
    rerun_until(first, lambda a: job(a) is None)
    assert len(runs(first)) == 1 and runs(second) == []


def session_of(owner: str | None) -> AppTest:
    """A new page, opened with `owner`'s id in its URL (None: a new person)."""
    at = AppTest.from_file(APP, default_timeout=120)
    if owner is not None:
        at.query_params["user"] = owner
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_reload_reattaches_to_the_run_and_finished_runs_survive_a_restart():
    from fashion.ui import state

    first = new_session()
    owner = first.session_state["owner"]
    assert first.query_params["user"] == owner                      # the id is in the page's URL
    first.number_input(key="train_epochs").set_value(3)
    first.button(key="train_start").click()
    first.run()
    reloaded = session_of(owner)                      # the same person's page, reloaded mid-run
    assert job(reloaded) is job(first) and not job(first).finished
    rerun_until(reloaded, lambda a: len(job(a).snapshot().evals) >= 1)
    reloaded.button(key="train_stop").click()         # the reloaded page can stop it
    rerun_until(reloaded, lambda a: job(a) is None and len(runs(a)) == 1)
    name = runs(reloaded)[0].name
    state.run_store.clear()                           # a server restart: the store is read from disk again
    later = session_of(owner)
    assert [run.name for run in runs(later)] == [name] and name in later.selectbox(key="model_choice").options
    assert any(name in text.value for text in later.markdown)          # drawn in the history
    later.selectbox(key="model_choice").set_value(name).run()          # its model loads and answers
    assert not later.exception and later.sidebar.metric[0].value == f"{runs(later)[0].accuracy:.2%}"
    replay = later.container(key="train_replay")                       # the run's evaluations, replayed
    evaluations = later.select_slider(key="train_replay_step") if len(runs(later)[0].evals) > 1 else None
    assert len([c for c in later.get("plotly_chart") if "train_replay_confusion" in c.proto.id]) == 1
    assert replay and (evaluations is None or evaluations.value == evaluations.options[-1])
    for stranger in (session_of(None), session_of("../" + owner), session_of(owner[:-1] + "?")):
        assert runs(stranger) == [] and stranger.session_state["owner"] != owner
