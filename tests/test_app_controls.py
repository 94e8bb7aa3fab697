"""The Train tab's run controls under AppTest: pause, resume and learning-rate nudges, and continued training."""
from test_app_train import job, new_session, no_job_left_running, progress_text, rerun_until, runs  # noqa: F401

from fashion.jobs import PAUSED, RUNNING


def test_pause_nudge_and_resume_a_run():
    at = new_session()
    assert all(at.button(key=k).disabled for k in ("train_pause", "train_resume", "train_lr_half", "train_lr_double"))
    at.number_input(key="train_epochs").set_value(3)
    at.button(key="train_start").click()
    at.run()
    rerun_until(at, lambda a: job(a) is not None and len(job(a).snapshot().evals) >= 1)
    assert not at.button(key="train_pause").disabled and at.button(key="train_resume").disabled
    at.button(key="train_pause").click()
    rerun_until(at, lambda a: job(a).state == PAUSED)
    assert "Paused at step" in progress_text(at) and "uses no CPU" in progress_text(at)
    assert at.button(key="train_pause").disabled and not at.button(key="train_resume").disabled
    at.button(key="train_lr_half").click()
    at.run()
    assert [factor for _, factor in job(at).snapshot().nudges] == [0.5]
    at.button(key="train_resume").click()
    rerun_until(at, lambda a: job(a).state == RUNNING)
    steps = len(job(at).snapshot().steps)
    rerun_until(at, lambda a: len(job(a).snapshot().steps) > steps + 5)
    at.button(key="train_lr_double").click()
    at.run()
    at.button(key="train_stop").click()
    rerun_until(at, lambda a: job(a) is None and len(runs(a)) == 1)
    curves = runs(at)[0].curves
    assert [factor for _, factor in curves["nudges"]] == [0.5, 2.0] and len(curves["lr"]) == len(curves["loss"])
    chart = next(c for c in at.get("plotly_chart") if "train_live_chart" in c.proto.id)
    assert "Learning rate" in chart.proto.spec and "lr x0.5" in chart.proto.spec


def test_continue_training_makes_a_linked_run_drawn_after_its_parent():
    at = new_session()
    at.button(key="train_start").click()
    at.run()
    rerun_until(at, lambda a: job(a) is not None and len(job(a).snapshot().evals) >= 1)
    at.button(key="train_stop").click()
    rerun_until(at, lambda a: job(a) is None and len(runs(a)) == 1)
    parent = runs(at)[0]
    at.number_input(key=f"train_continue_epochs_{parent.number}").set_value(1)
    assert at.number_input(key=f"train_continue_lr_{parent.number}").value == parent.config["lr"] / 10
    at.button(key="train_continue_0").click()
    at.run()
    assert job(at).parent.number == parent.number
    rerun_until(at, lambda a: job(a) is None and len(runs(a)) == 2, timeout=240)
    child = runs(at)[1]
    assert child.parent == parent.number and child.start_epoch == parent.end_epoch > 0
    assert f"from Run {parent.number}" in child.name and child.config["lr"] == parent.config["lr"] / 10
    assert child.curves["loss"][0] < 1.0       # it began from the parent's weights, not from scratch (~2.3)


def test_the_finder_sweeps_draws_its_curve_and_applies_its_suggestion():
    at = new_session()
    assert at.container(key="train_lr_finder") and not any("train_lr_apply" == b.key for b in at.button)
    at.selectbox(key="train_optimizer").set_value("adamw")
    at.button(key="train_lr_find").click()
    at.run()
    assert at.session_state["lr_sweep"].config.optimizer == "adamw"      # the settings on the page
    rerun_until(at, lambda a: a.session_state["lr_sweep"].finished and any(b.key == "train_lr_apply" for b in a.button))
    suggested = at.session_state["lr_sweep"].snapshot().result.suggested
    assert any("train_lr_sweep_chart" in c.proto.id for c in at.get("plotly_chart"))
    at.button(key="train_lr_apply").click()
    at.run()
    assert not at.exception and at.select_slider(key="train_lr").value == float(f"{suggested:.3g}")
    assert runs(at) == []                # a sweep is not a run


def test_the_data_browser_shows_each_class_and_rerolls_the_augmentation():
    at = new_session()
    assert not any("Normalisation" in m.value for m in at.markdown)      # nothing drawn while closed
    at.session_state["data_browser"] = True                               # what a click on the expander sets
    at.run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "0.286" in text and "0.353" in text and "*off for this run*" in text
    before = at.tabs[0].image
    captions = [image.proto.imgs[0].caption for image in before]
    assert len(before) == 20 and captions.count("Ankle boot") == 2            # originals and augmented
    at.button(key="data_browser_reroll").click()
    at.run()
    after = at.tabs[0].image
    changed = sum(a.proto.imgs[0].url != b.proto.imgs[0].url for a, b in zip(before, after, strict=True))
    assert changed == 10                                 # the ten augmented strips, not the originals
    at.toggle(key="train_augment").set_value(True)
    at.run()
    assert "as this run will see them" in " ".join(m.value for m in at.markdown)
