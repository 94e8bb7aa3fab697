"""The one description of the training settings in fashion.config: complete, enforced, and what both front ends show."""
import math
from dataclasses import fields, replace

import pytest
from streamlit.testing.v1 import AppTest

from fashion.config import CUSTOM, TrainConfig, setting_of, settings

NUMERIC = [s for s in settings() if isinstance(s.default, (int, float)) and not isinstance(s.default, bool)]


def just_outside(value, direction: float):
    """The nearest value past a bound: one step for a whole number, the next float for a float."""
    return value + int(direction) if isinstance(value, int) else math.nextafter(value, direction * math.inf)


def test_every_field_is_described():
    # The spec is a design of its own (fashion/spec.py, tests/test_spec.py), described field by field there.
    assert [s.name for s in settings()] == [f.name for f in fields(TrainConfig) if f.name != "spec"]
    for s in settings():
        assert s.label and s.help.endswith("."), s.name
        assert s.default == getattr(TrainConfig(), s.name)
    assert {s.name for s in NUMERIC} >= {"epochs", "batch_size", "lr", "seed"}
    assert all(s.bounds is not None for s in NUMERIC), [s.name for s in NUMERIC if s.bounds is None]
    assert {s.name for s in settings() if s.choices} == {"arch", "optimizer", "schedule"}


def test_defaults_and_presets_are_allowed_values():
    TrainConfig().validate()
    for s in settings():
        for value in s.presets or ():
            low, high = s.bounds
            assert low <= value <= high, (s.name, value)


@pytest.mark.parametrize("s", NUMERIC, ids=lambda s: s.name)
def test_validate_accepts_each_bound_and_refuses_just_past_it(s):
    low, high = s.bounds
    for bound in (low, high):
        replace(TrainConfig(), **{s.name: bound}).validate()
    for value in (just_outside(low, -1), just_outside(high, +1)):
        with pytest.raises(ValueError, match=f"{s.name} must be between {low} and {high}"):
            replace(TrainConfig(), **{s.name: value}).validate()


@pytest.mark.parametrize("s", [s for s in settings() if s.choices], ids=lambda s: s.name)
def test_validate_accepts_each_choice_and_refuses_others(s):
    from fashion.spec import CustomSpec

    for choice in s.choices:
        design = {"spec": CustomSpec()} if choice == CUSTOM else {}      # a custom architecture needs its design
        replace(TrainConfig(), **{s.name: choice}, **design).validate()
    with pytest.raises(ValueError, match=f"Unknown {s.label.lower()} 'nope'; choose one of"):
        replace(TrainConfig(), **{s.name: "nope"}).validate()


def test_train_help_shows_each_setting_with_its_help_choices_and_default(monkeypatch):
    from fashion.cli import build_parser

    monkeypatch.setenv("COLUMNS", "1000")      # no wrapping, so each sentence stays whole
    subparsers = next(a for a in build_parser()._actions if a.choices and "train" in a.choices)
    text = " ".join(subparsers.choices["train"].format_help().split())
    for s in settings():
        flag = "--" + s.name.replace("_", "-")
        if isinstance(s.default, bool):
            usage, default = f"{flag}, --no-{flag[2:]}", flag if s.default else f"--no-{flag[2:]}"
        else:
            usage = f"{flag} " + ("{" + ",".join(s.choices) + "}" if s.choices else "")
            default = s.default
        assert usage in text and f"{s.help} (default: {default})" in text, flag


def test_train_tab_controls_come_from_the_description():
    from fashion.ui.train_tab import MAX_LIVE_EPOCHS, WIDGET_KEYS

    at = AppTest.from_string("from fashion.ui import train_tab\ntrain_tab.settings()")
    at.run()
    assert not at.exception, at.exception
    widgets = {w.key: w for w in [*at.selectbox, *at.select_slider, *at.number_input, *at.toggle]}
    assert set(widgets) == set(WIDGET_KEYS.values())
    for name, key in WIDGET_KEYS.items():
        s, widget = setting_of(name), widgets[key]
        assert (widget.label, widget.help, widget.value) == (s.label, s.help, s.default), name
    for key in ("train_batch", "train_lr"):      # the sliders offer their presets and the default
        s = setting_of(next(name for name, k in WIDGET_KEYS.items() if k == key))
        assert widgets[key].options == [str(v) for v in sorted({*s.presets, s.default})]
    assert (widgets["train_seed"].min, widgets["train_seed"].max) == setting_of("seed").bounds
    assert widgets["train_epochs"].max == MAX_LIVE_EPOCHS < setting_of("epochs").bounds[1]
    assert widgets["train_optimizer"].options == list(setting_of("optimizer").choices)
    assert [o.split(":")[0] for o in widgets["train_arch"].options] == list(setting_of("arch").choices)
