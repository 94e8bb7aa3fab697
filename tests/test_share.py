"""Settings in a link (fashion/share.py) and the presets (fashion/presets.py): every setting survives its text,
a value not allowed gets a sentence and is left out, and every preset is a valid run the Train tab can show."""
import json
from dataclasses import replace

import pytest

from fashion.config import CUSTOM, TrainConfig, setting_of, settings
from fashion.presets import PRESETS
from fashion.share import SPEC, decode, encode, link_of
from fashion.spec import CustomSpec


def allowed_values(s) -> list:
    """A setting's default, its bounds, its choices and its presets: what a link must carry unchanged."""
    if isinstance(s.default, bool):
        return [True, False]
    return [s.default, *(s.bounds or ()), *(s.choices or ()), *(s.presets or ())]


@pytest.mark.parametrize("s", settings(), ids=lambda s: s.name)
def test_every_setting_survives_its_text(s):
    kind = type(s.default)
    for value in allowed_values(s):
        value = kind(value)                     # bounds are written as the nearest literal, e.g. 0 for 0.0
        params = encode({s.name: value})
        assert all(isinstance(text, str) for text in params.values())
        decoded, problems = decode(params, [s])
        assert problems == [] and decoded == {s.name: value} and type(decoded[s.name]) is kind, (s.name, value)


def test_a_whole_config_and_its_design_survive_the_link():
    config = TrainConfig(arch=CUSTOM, epochs=7, batch_size=64, lr=0.003, optimizer="adamw", augment=True, seed=42,
                         spec=CustomSpec((8, 24), kernel=5, pool="stride", residual=True, head="hidden", hidden=64,
                                         dropout=0.25))
    params = link_of(config, [s.name for s in settings()])
    values, problems = decode(params, settings())
    assert problems == [] and TrainConfig(**values) == config
    assert json.loads(params[SPEC]) == {"channels": [8, 24], "kernel": 5, "pool": "stride", "residual": True,
                                        "head": "hidden", "hidden": 64, "dropout": 0.25}   # what differs, only


def test_a_link_holds_only_what_differs_from_the_defaults():
    names = ["arch", "epochs", "lr", "augment"]
    assert link_of(TrainConfig(), names) == {}
    assert link_of(TrainConfig(epochs=10, augment=True), names) == {"epochs": "10", "augment": "true"}
    assert link_of(TrainConfig(arch=CUSTOM, spec=CustomSpec()), names) == {"arch": CUSTOM, SPEC: "{}"}
    assert decode({SPEC: "{}"}, [])[0] == {SPEC: CustomSpec()}


@pytest.mark.parametrize(("name", "text", "says"), [
    ("epochs", "ten", "Epochs must be a whole number, not 'ten'."),
    ("epochs", "2.5", "Epochs must be a whole number, not '2.5'."),
    ("epochs", "0", "epochs must be between 1 and 100, not 0."),
    ("epochs", "9" * 5000, "Epochs must be a whole number"),           # past Python's limit on digits
    ("lr", "fast", "Learning rate (peak) must be a number, not 'fast'."),
    ("lr", "nan", "lr must be between 1e-05 and 2.0, not nan."),
    ("lr", "inf", "lr must be between 1e-05 and 2.0, not inf."),
    ("lr", "3", "lr must be between 1e-05 and 2.0, not 3.0."),
    ("optimizer", "adam", "Unknown optimizer 'adam'; choose one of sgd, adamw."),
    ("arch", "", "Unknown architecture ''; choose one of"),
    ("augment", "maybe", "Augmentation is true or false, not 'maybe'."),
    ("seed", "-1", "seed must be between 0 and 2147483647, not -1."),
])
def test_a_bad_value_gets_a_sentence_and_is_left_out(name, text, says):
    s = setting_of(name)
    values, problems = decode({name: text, "epochs": "3"} if name != "epochs" else {name: text}, settings())
    assert name not in values and len(problems) == 1
    assert problems[0].startswith(f"The link's {s.label.lower()} is not used, so it is ") and says in problems[0]
    if name != "epochs":
        assert values == {"epochs": 3}          # the good ones are kept


@pytest.mark.parametrize(("text", "says"), [
    ("{", "it is not JSON"),
    ("[" * 100_000, "it is not JSON"),
    ('{"channels": [8], "colour": "red"}', "A spec has no 'colour'"),
    ('{"channels": [3]}', "Channels must be between 4 and 256, not 3."),
    ('{"channels": [16, 16, 16, 16, 16]}', "A design has 1 to 4 blocks"),
    ('{"channels": [256], "head": "hidden", "hidden": 1024}', "more than the 1,500,000 allowed"),
    ('{"kernel": 4}', "Unknown kernel size 4"),
    ('[16, 32]', "A spec is a set of named values"),
])
def test_a_bad_design_gets_a_sentence_and_is_left_out(text, says):
    values, problems = decode({SPEC: text, "arch": CUSTOM}, settings())
    assert values == {"arch": CUSTOM} and len(problems) == 1
    assert problems[0].startswith("The link's design is not used, so the builder shows the default one: ")
    assert says in problems[0]


def test_parameters_that_name_no_setting_are_not_looked_at():
    values, problems = decode({"user": "abc", "utm_source": "mail", "epochs": "4"}, settings())
    assert values == {"epochs": 4} and problems == []


def test_a_setting_not_described_is_not_read():
    """The tab passes only the settings it shows, with its own bounds: others stay out, whatever the link says."""
    epochs = replace(setting_of("epochs"), bounds=(1, 30))
    values, problems = decode({"epochs": "50", "erase": "0.1"}, [epochs])
    assert values == {} and problems == ["The link's epochs is not used, so it is 2: "
                                         "epochs must be between 1 and 30, not 50."]


@pytest.mark.parametrize("preset", PRESETS.values(), ids=lambda p: p.name)
def test_every_preset_validates_and_says_what_to_watch(preset):
    preset.config.validate()
    assert preset.watch.endswith(".") and preset.watch[0].isupper() and len(preset.watch) < 300
    assert (preset.config.arch == CUSTOM) == (preset.config.spec is not None)


@pytest.mark.parametrize("preset", PRESETS.values(), ids=lambda p: p.name)
def test_every_preset_is_what_the_train_tab_shows(preset):
    """It changes only settings the tab has controls for (else the run after it would not be the preset)."""
    from fashion.ui.train_tab import MAX_LIVE_EPOCHS, WIDGET_KEYS

    hidden = [s.name for s in settings() if s.name not in WIDGET_KEYS]
    assert replace(preset.config, **{name: getattr(TrainConfig(), name) for name in hidden}) == preset.config
    assert preset.config.epochs <= MAX_LIVE_EPOCHS


def test_the_presets_a_teacher_asked_for():
    assert PRESETS["fast"].config == TrainConfig()
    assert PRESETS["learning rate too high"].config.lr == setting_of("lr").bounds[1]
    without, with_ = PRESETS["no augmentation"].config, PRESETS["augmentation"].config
    assert replace(without, augment=True) == with_ and without.epochs > TrainConfig().epochs
    tiny = PRESETS["tiny network"].config.spec
    assert tiny.blocks == 1 and tiny.channels[0] <= 8
