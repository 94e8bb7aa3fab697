"""The Train tab's architecture builder under AppTest: its controls and table, a design refused in a sentence, the
time per epoch on request, and a custom run from Start to the sidebar."""
import pytest
from test_app_train import job, new_session, rerun_until, runs

from fashion.spec import CustomSpec, layers, totals
from fashion.ui.builder_view import CHANNEL_KEYS, KEYS


@pytest.fixture(autouse=True)
def no_job_left_running():
    yield
    from fashion.ui.train_tab import job_queue

    job_queue().stop_all(timeout=30)


def builder(at):
    return at.container(key="train_builder")


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in builder(at).metric}


def custom_session():
    at = new_session()
    assert "choose **custom**" in builder(at).caption[0].value and not builder(at).table    # a pointer, no more
    at.selectbox(key="train_arch").set_value("custom").run()
    assert not at.exception
    return at


def test_the_builder_draws_its_controls_and_the_table_of_the_design():
    at = custom_session()
    widgets = {w.key: w for kind in ("slider", "select_slider", "selectbox", "toggle")
               for w in builder(at).get(kind)}
    assert set(widgets) == {*KEYS.values(), *CHANNEL_KEYS}
    assert [w.disabled for key, w in widgets.items() if key in CHANNEL_KEYS] == [False, False, False, True]
    table = builder(at).table[0].value
    assert list(table["layer"]) == [row.name for row in layers(CustomSpec())]
    assert metrics(at)["Parameters"] == "29,178" and metrics(at)["Time per epoch"] == "—"
    # A design of two blocks, 5x5, average pooling, residual, global average pooling.
    at.slider(key=KEYS["blocks"]).set_value(2).run()
    at.selectbox(key=KEYS["kernel"]).set_value(5).run()
    at.selectbox(key=KEYS["pool"]).set_value("avg").run()
    at.toggle(key=KEYS["residual"]).set_value(True).run()
    at.selectbox(key=KEYS["head"]).set_value("gap").run()
    at.select_slider(key=CHANNEL_KEYS[1]).set_value(48).run()
    spec = CustomSpec((16, 48), 5, "avg", residual=True, head="gap")
    assert not at.exception and list(builder(at).table[0].value["layer"]) == [row.name for row in layers(spec)]
    assert metrics(at)["Parameters"] == f"{totals(spec)[0]:,}"
    assert at.select_slider(key=CHANNEL_KEYS[2]).disabled and not at.select_slider(key=CHANNEL_KEYS[1]).disabled
    assert at.select_slider(key=KEYS["hidden"]).disabled                 # no hidden layer in this head
    # Another architecture and back: the design is kept.
    at.selectbox(key="train_arch").set_value("medium").run()
    assert not builder(at).table
    at.selectbox(key="train_arch").set_value("custom").run()
    assert not at.exception and not at.warning
    assert metrics(at)["Parameters"] == f"{totals(spec)[0]:,}" and at.selectbox(key=KEYS["head"]).value == "gap"


def test_an_oversized_design_gets_a_sentence_and_start_refuses_it():
    at = custom_session()
    at.slider(key=KEYS["blocks"]).set_value(1).run()
    at.selectbox(key=KEYS["head"]).set_value("hidden").run()
    at.select_slider(key=CHANNEL_KEYS[0]).set_value(256).run()
    assert not at.exception
    sentence = builder(at).error[0].value
    assert sentence.startswith("This design has 6,426,762 parameters, more than the 1,500,000 allowed")
    assert builder(at).table and not builder(at).button          # the layer that is too large shows; nothing to time
    at.button(key="train_start").click().run()
    assert not at.exception and job(at) is None
    assert [e.value for e in at.error].count(sentence) == 2     # in the builder, and where Start says why not


def test_the_time_per_epoch_is_measured_on_request_and_kept_for_the_design():
    at = custom_session()
    at.slider(key=KEYS["blocks"]).set_value(2).run()
    assert metrics(at)["Time per epoch"] == "—"
    at.button(key="train_builder_probe").click().run()
    assert not at.exception
    estimate = metrics(at)["Time per epoch (estimate)"]
    assert float(estimate.split()[0].replace(",", "")) > 0 and "An estimate" in builder(at).caption[-1].value
    at.run()                                                  # a rerun does not measure again, nor forget
    assert metrics(at)["Time per epoch (estimate)"] == estimate
    at.toggle(key=KEYS["batch_norm"]).set_value(False).run()  # another design: not measured yet
    assert metrics(at)["Time per epoch"] == "—"


def test_a_custom_run_trains_in_the_worker_and_its_file_loads_in_the_sidebar():
    at = custom_session()
    at.slider(key=KEYS["blocks"]).set_value(2).run()
    at.select_slider(key=CHANNEL_KEYS[0]).set_value(8).run()
    at.select_slider(key=CHANNEL_KEYS[1]).set_value(16).run()
    at.selectbox(key=KEYS["head"]).set_value("gap").run()
    at.number_input(key="train_epochs").set_value(1).run()
    at.button(key="train_start").click().run()
    assert job(at) is not None and job(at).config.spec == CustomSpec((8, 16), head="gap")
    rerun_until(at, lambda a: job(a) is None and len(runs(a)) == 1, timeout=300)
    run = runs(at)[0]
    assert run.name.startswith("Run 1 · custom 8-16 GAP · ") and run.architecture == "custom 8-16 GAP"
    assert any(run.name in text.value for text in at.markdown)          # its row in the history
    from fashion.model import CustomCNN
    from fashion.weights import load_model_bytes

    model, card = load_model_bytes(run.model_file)                        # the download
    assert isinstance(model, CustomCNN) and card.spec == card.config.spec == CustomSpec((8, 16), head="gap")
    at.button(key="train_use_0").click().run()
    assert not at.exception and at.selectbox(key="model_choice").value == run.name
    assert "custom 8-16 GAP" in " ".join(c.value for c in at.sidebar.caption)
    at.session_state["tab"] = "Mistakes"
    at.run()
    assert not at.exception
    # The downloaded file, loaded again in the sidebar.
    at.file_uploader(key="model_upload").set_value(("fashion_run1.safetensors", run.model_file,
                                                   "application/octet-stream")).run()
    assert not at.exception and not at.sidebar.error
    assert at.selectbox(key="model_choice").value.startswith("File 1 · fashion_run1.safetensors")
    assert at.sidebar.metric[0].value == f"{run.accuracy:.2%}"
