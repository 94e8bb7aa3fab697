"""Presets, links and the parallel view of the Train tab under AppTest: a preset fills the controls, a link opens
the page with its settings (a bad value gets a warning and the default, the owner's id stays), and the
parallel-coordinates view appears once there are two runs."""
import json
import math
from dataclasses import asdict

import pytest
from streamlit.testing.v1 import AppTest
from test_app_train import APP, job, new_session, runs, session_of

from fashion.classes import DEFAULT_WEIGHTS
from fashion.config import CUSTOM, TrainConfig
from fashion.presets import PRESETS
from fashion.run_store import StoredRun, new_owner_id
from fashion.spec import CustomSpec
from fashion.ui.builder_view import CHANNEL_KEYS, KEYS
from fashion.ui.train_tab import WIDGET_KEYS


@pytest.fixture(autouse=True)
def no_job_left_running():
    yield
    from fashion.ui.train_tab import job_queue

    job_queue().stop_all(timeout=30)


def shown(at) -> dict:
    """The values of the Train tab's settings, as its widgets show them."""
    widgets = {w.key: w for kind in ("selectbox", "select_slider", "number_input", "toggle") for w in at.get(kind)}
    return {name: widgets[key].value for name, key in WIDGET_KEYS.items()}


def opened_with(params: dict[str, str]):
    """A new page opened with a link carrying `params` (and a person's id, as a reload's link would)."""
    at = AppTest.from_file(APP, default_timeout=120)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_choosing_a_preset_fills_the_controls_and_says_what_to_watch():
    at = new_session()
    assert at.selectbox(key="train_preset").value is None and not at.info[:1] == [PRESETS["fast"].watch]
    at.selectbox(key="train_preset").set_value("learning rate too high").run()
    assert not at.exception
    preset = PRESETS["learning rate too high"]
    assert shown(at) == {name: getattr(preset.config, name) for name in WIDGET_KEYS}
    assert preset.watch in [i.value for i in at.info]
    assert at.query_params["lr"] == "2.0" and "user" in at.query_params          # and the link follows
    # A change by hand: the picker lets go of the preset, and choosing it again fills it again.
    at.select_slider(key="train_lr").set_value(0.1).run()
    assert at.selectbox(key="train_preset").value is None and preset.watch not in [i.value for i in at.info]
    at.selectbox(key="train_preset").set_value("learning rate too high").run()
    assert shown(at)["lr"] == 2.0 and preset.watch in [i.value for i in at.info]


def test_the_tiny_network_preset_fills_the_builder():
    at = new_session()
    at.selectbox(key="train_preset").set_value("tiny network").run()
    assert not at.exception and shown(at)["arch"] == CUSTOM
    assert at.slider(key=KEYS["blocks"]).value == 1 and at.select_slider(key=CHANNEL_KEYS[0]).value == 8
    table = at.container(key="train_builder").table[0].value
    assert "Block 2" not in " ".join(table["layer"])
    at.selectbox(key="train_preset").set_value("fast").run()         # back to a named architecture
    assert shown(at) == {name: getattr(TrainConfig(), name) for name in WIDGET_KEYS}
    assert "spec" not in at.query_params and "arch" not in at.query_params     # defaults stay out of the link


def test_a_link_opens_the_page_with_its_settings_and_keeps_the_owner():
    owner = new_owner_id()
    design = CustomSpec((12, 24), kernel=5, head="gap")
    at = opened_with({"user": owner, "arch": CUSTOM, "epochs": "7", "batch_size": "64", "lr": "0.003",
                      "optimizer": "adamw", "augment": "true", "seed": "42",
                      "spec": json.dumps({"channels": [12, 24], "kernel": 5, "head": "gap"})})
    assert not at.warning
    assert shown(at) == {"arch": CUSTOM, "epochs": 7, "batch_size": 64, "lr": 0.003, "optimizer": "adamw",
                         "augment": True, "seed": 42}       # 0.003 lies between the slider's presets: offered too
    assert at.slider(key=KEYS["blocks"]).value == 2 and at.select_slider(key=CHANNEL_KEYS[1]).value == 24
    assert at.selectbox(key=KEYS["head"]).value == "gap" and at.selectbox(key=KEYS["kernel"]).value == 5
    assert at.session_state["owner"] == owner and at.query_params["user"] == owner
    at.button(key="train_start").click().run()      # Start trains exactly the linked settings
    assert job(at).config == TrainConfig(arch=CUSTOM, epochs=7, batch_size=64, lr=0.003, optimizer="adamw",
                                         augment=True, seed=42, spec=design)
    job(at).stop()
    # The link is read once: a change by hand is not undone by the link still in the URL.
    at.number_input(key="train_epochs").set_value(3).run()
    assert shown(at)["epochs"] == 3 and at.query_params["epochs"] == "3"
    code = " ".join(c.value for c in at.get("code"))
    assert "epochs=3" in code and "seed=42" in code and owner not in code      # the link to copy: no owner id


def test_a_bad_link_gets_warnings_and_the_defaults_not_an_exception():
    at = opened_with({"epochs": "500", "lr": "fast", "optimizer": "adam", "augment": "maybe", "seed": "7",
                      "arch": CUSTOM, "spec": '{"channels": [8], "colour": "red"}', "user": "../etc"})
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 5, warnings
    assert "The link's epochs is not used, so it is 2: epochs must be between 1 and 30, not 500." in warnings
    assert any(w.startswith("The link's design is not used") and "'colour'" in w for w in warnings)
    defaults = TrainConfig()
    assert shown(at) == {"arch": CUSTOM, "epochs": defaults.epochs, "batch_size": defaults.batch_size,
                         "lr": defaults.lr, "optimizer": defaults.optimizer, "augment": defaults.augment, "seed": 7}
    assert at.slider(key=KEYS["blocks"]).value == CustomSpec().blocks          # the default design
    # The URL now says what the page shows: the refused values are gone, and a bad owner id got a new one.
    assert "epochs" not in at.query_params and at.query_params["seed"] == "7"
    assert at.query_params["user"] == at.session_state["owner"] != "../etc"


def stored(config: TrainConfig, accuracy: float) -> StoredRun:
    """A finished run's record as the run store keeps it, without training one."""
    return StoredRun(number=0, config=asdict(config), accuracy=accuracy, per_class=[accuracy] * 10,
                     confusion=[[100 if i == j else 0 for j in range(10)] for i in range(10)],
                     curves={"epoch": [0.5, 1.0], "loss": [1.0, 0.5], "eval_epoch": [1.0], "test_accuracy": [accuracy]},
                     seconds=10.0, stopped=False, device="cpu (2 threads)")


def parallel_charts(at) -> list:
    return [c for c in at.get("plotly_chart") if "train_parallel" in c.proto.id]


def test_the_parallel_view_appears_once_two_runs_exist():
    from fashion.ui import state

    owner, model_file = new_owner_id(), DEFAULT_WEIGHTS.read_bytes()
    state.run_store().save(owner, stored(TrainConfig(), 0.909), model_file)
    at = session_of(owner)
    assert len(runs(at)) == 1 and not parallel_charts(at)           # one run: nothing to compare
    state.run_store().save(owner, stored(TrainConfig(arch=CUSTOM, lr=0.002, optimizer="adamw", augment=True,
                                                     spec=CustomSpec((8,))), 0.87), model_file)
    at.run()
    assert not at.exception and len(runs(at)) == 2 and len(parallel_charts(at)) == 1
    figure = json.loads(parallel_charts(at)[0].proto.spec)
    axes = {d["label"]: d for d in figure["data"][0]["dimensions"]}
    assert list(axes) == ["architecture", "epochs", "batch size", "learning rate", "optimizer", "augmentation",
                          "seed", "test accuracy"]
    assert axes["architecture"]["ticktext"] == ["fast", "custom 8"] and axes["architecture"]["values"] == [0, 1]
    assert axes["optimizer"]["ticktext"] == ["sgd", "adamw"] and axes["augmentation"]["values"] == [0, 1]
    assert axes["learning rate"]["ticktext"] == ["0.002", "0.4"]                    # log10, ticked at the values
    assert axes["learning rate"]["values"][0] - axes["learning rate"]["values"][1] == pytest.approx(math.log10(200))
    assert axes["test accuracy"]["values"] == [0.909, 0.87]
    assert axes["batch size"]["tickvals"] == [256] and axes["seed"]["tickvals"] == [0]     # shared: one tick
    assert "tickvals" not in axes["test accuracy"]                               # apart: Plotly's own scale
