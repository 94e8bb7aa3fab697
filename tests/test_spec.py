"""The architecture builder's spec: every design in bounds builds as its table says, a design out of bounds gets a
sentence, and a custom run's file round-trips with its design."""
import itertools
import json
from dataclasses import asdict, replace

import pytest
import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from fashion import inside
from fashion.card import new_card
from fashion.config import CUSTOM, TrainConfig
from fashion.evaluate import Report
from fashion.model import CustomCNN, Ensemble, build_model, count_params
from fashion.probe import measure
from fashion.spec import (
    MAX_BLOCKS,
    MAX_FEATURES,
    MAX_MACS,
    MAX_PARAMS,
    CustomSpec,
    arch_name,
    block_layers,
    layers,
    read_spec_file,
    spec_setting,
    totals,
)
from fashion.weights import WeightsError, load_model, load_model_bytes, model_bytes, save_model

SMALL = (4, 8, 4, 8)          # small channel counts: the whole discrete space builds in seconds


def discrete_space(channels=SMALL):
    """Every combination of the discrete choices (blocks, kernel, pooling, batch norm, residual, head), with
    dropout on for every other one."""
    kernel, pool, head = (spec_setting(name).choices for name in ("kernel", "pool", "head"))
    choices = itertools.product(range(1, MAX_BLOCKS + 1), kernel, pool, (True, False), (False, True), head)
    for i, (blocks, kernel, pool, bn, residual, head) in enumerate(choices):
        yield CustomSpec(channels[:blocks], kernel, pool, bn, residual, head, hidden=16, dropout=0.5 * (i % 2))


def macs_of(model: torch.nn.Module) -> int:
    """Multiply-adds of one image through the built model, counted from its convolutions' and linear layers'
    weights and output sizes as it runs."""
    total = 0

    def count(module, _, out):
        nonlocal total
        total += module.weight.numel() * (out.shape[2] * out.shape[3] if out.dim() == 4 else 1)
    weighted = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    hooks = [m.register_forward_hook(count) for m in weighted]
    model.eval()(torch.rand(1, 1, 28, 28))
    for hook in hooks:
        hook.remove()
    return total


def test_the_space_sampled_is_the_whole_discrete_space():
    specs = list(discrete_space())
    assert len(specs) == len(set(specs)) == MAX_BLOCKS * 2 * 3 * 2 * 2 * 3


@pytest.mark.parametrize("spec", list(discrete_space()), ids=lambda s: s.name().replace(" ", "_"))
def test_every_design_in_bounds_builds_as_its_table_says(spec):
    model = build_model(CUSTOM, torch.Generator().manual_seed(0), spec.validate())
    params, macs = totals(spec)
    assert count_params(model) == params and macs_of(model) == macs
    x = torch.rand(3, 1, 28, 28)
    # Each block's output shape is its last row's, and the features handed to the last layer are their row's.
    blocks = {row.name.split(":")[0]: row.shape for row in block_layers(spec)[1:]}
    assert [stage.shape for stage in inside.feature_maps(model, x[0, 0].numpy())] == list(blocks.values())
    assert model.embed(x).shape == (3, layers(spec)[-2].shape[0])
    assert model(x).shape == (3, 10) and torch.allclose(model.head(model.embed(x)), model(x))


@pytest.mark.parametrize("spec", [
    CustomSpec((256,), head="gap"), CustomSpec((4, 4, 4, 4)), CustomSpec((8, 16, 32, 256), head="gap", residual=True),
    CustomSpec((16, 32, 64), kernel=5, pool="stride", residual=True, head="hidden", hidden=1024, dropout=0.8),
], ids=lambda s: s.name().replace(" ", "_"))
def test_designs_at_the_bounds_build_as_their_table_says(spec):
    model = build_model(CUSTOM, spec=spec.validate())
    assert (count_params(model), macs_of(model)) == totals(spec)


def test_the_default_design_is_the_fast_preset():
    fast, custom = build_model("fast"), build_model(CUSTOM, spec=CustomSpec())
    assert count_params(custom) == count_params(fast) == totals(CustomSpec())[0]
    assert macs_of(custom) == macs_of(fast) == totals(CustomSpec())[1]


# Designs whose every field is in bounds, but too large, and words their sentences must hold.
OVERSIZED = [
    ({"channels": [128], "head": "hidden", "hidden": 1024}, "parameters, more than the 1,500,000"),
    ({"channels": [64, 128], "kernel": 5, "residual": True, "head": "gap"}, "million multiply-adds per image"),
    ({"channels": [32]}, "6,272 features"),
]
# Each design out of bounds, and words its sentence must hold.
REFUSED = OVERSIZED + [
    ({"channels": []}, "1 to 4 blocks"),
    ({"channels": [8] * 5}, "a fifth would leave nothing"),
    ({"channels": [3]}, "Channels must be between 4 and 256, not 3."),
    ({"channels": [16, 257]}, "between 4 and 256"),
    ({"kernel": 4}, "choose one of 3, 5"),
    ({"pool": "min"}, "choose one of max, avg, stride"),
    ({"head": "mlp"}, "choose one of flatten, gap, hidden"),
    ({"hidden": 8}, "between 16 and 1024"),
    ({"dropout": 0.9}, "between 0.0 and 0.8"),
    ({"dropout": float("nan")}, "between 0.0 and 0.8"),
    ({"channels": "16-32"}, "a list of whole numbers"),
    ({"channels": [16.5]}, "a list of whole numbers"),
    ({"kernel": "3"}, "must be a whole number"),
    ({"kernel": True}, "must be a whole number"),
    ({"batch_norm": "yes"}, "must be true or false"),
    ({"dropout": "none"}, "must be a number"),
    ({"kernal": 5}, "has no 'kernal'"),
]


@pytest.mark.parametrize("values,words", REFUSED, ids=[words for _, words in REFUSED])
def test_a_design_out_of_bounds_is_refused_with_a_sentence(values, words):
    with pytest.raises(ValueError) as refused:
        CustomSpec.from_dict(values)
    sentence = str(refused.value)
    assert words in sentence and sentence[0].isupper() and sentence.endswith(".")


def test_the_size_bounds_are_the_ones_in_the_package():
    # Each oversized design passes every field's own bound: only its size refuses it, one bound each.
    sizes = []
    for values, _ in OVERSIZED:
        spec = CustomSpec(**{**asdict(CustomSpec()), **values, "channels": tuple(values["channels"])})
        params, macs = totals(spec)
        sizes.append((params > MAX_PARAMS, macs > MAX_MACS, layers(spec)[-2].shape[0] > MAX_FEATURES))
    assert [size.index(True) for size in sizes] == [0, 1, 2]
    assert MAX_PARAMS == 1_500_000 and count_params(build_model("resnet9")) < MAX_PARAMS


def test_a_config_carries_its_design_and_is_checked_with_it():
    spec = CustomSpec((8, 16), head="gap")
    config = TrainConfig(arch=CUSTOM, spec=spec).validate()
    assert TrainConfig.from_dict(json.loads(json.dumps(asdict(config)))) == config     # as the run store keeps it
    with pytest.raises(ValueError, match="needs its design"):
        TrainConfig(arch=CUSTOM).validate()
    with pytest.raises(ValueError, match="cannot go with 'fast'"):
        TrainConfig(spec=spec).validate()
    with pytest.raises(ValueError, match="parameters"):
        TrainConfig(arch=CUSTOM, spec=CustomSpec((256,), head="hidden", hidden=1024)).validate()


def test_names_say_what_differs_from_the_defaults():
    assert CustomSpec().name() == "custom 16-32-64"
    assert CustomSpec((8, 16), 5, "stride", False, True, "hidden", 64, 0.25).name() == \
        "custom 8-16 5x5 strided no BN residual hidden 64 dropout 0.25"
    assert arch_name(CUSTOM, asdict(CustomSpec((8,), head="gap"))) == "custom 8 GAP"
    assert arch_name("fast", None) == "fast" and arch_name(CUSTOM, {"channels": "broken"}) == CUSTOM


def custom_model(spec: CustomSpec, seed: int = 0) -> CustomCNN:
    return build_model(CUSTOM, torch.Generator().manual_seed(seed), spec).eval()


def test_a_custom_run_file_round_trips_with_its_design(tmp_path):
    spec = CustomSpec((8, 16, 24), kernel=5, pool="avg", residual=True, head="hidden", hidden=32, dropout=0.2)
    model = custom_model(spec)
    config = TrainConfig(arch=CUSTOM, spec=spec, epochs=1)
    card = new_card(model, config, Report(0.5, [0.5] * 10, [[0] * 10] * 10), mirror=False, training_time_s=1.0,
                    steps=10)
    save_model(model, tmp_path / "custom.safetensors", card)
    loaded, read = load_model(tmp_path / "custom.safetensors")
    x = torch.rand(4, 1, 28, 28)
    assert isinstance(loaded, CustomCNN) and torch.equal(loaded(x), model(x))
    assert read == card and read.spec == spec == loaded.spec and read.config == config and read.arch == CUSTOM
    assert read.params == count_params(model)


def test_an_ensemble_of_custom_networks_round_trips_and_needs_one_design():
    spec = CustomSpec((8, 16), head="gap")
    ensemble = Ensemble([custom_model(spec, 0), custom_model(spec, 1)]).eval()
    loaded, card = load_model_bytes(model_bytes(ensemble, new_card(
        ensemble, TrainConfig(arch=CUSTOM, spec=spec), Report(0.5, [0.5] * 10, [[0] * 10] * 10), False, 1.0, 2)))
    x = torch.rand(2, 1, 28, 28)
    assert card.members == 2 and card.spec == spec and torch.allclose(loaded(x), ensemble(x))
    with pytest.raises(ValueError, match="one architecture"):
        Ensemble([custom_model(spec), custom_model(replace(spec, kernel=5))])


def with_header(data: bytes, **changes) -> bytes:
    """The same model file with some card fields changed (None: removed), as a tampered file would be."""
    header = json.loads(data[8:8 + int.from_bytes(data[:8], "little")])["__metadata__"]
    for key, value in changes.items():
        header.pop(key) if value is None else header.__setitem__(key, json.dumps(value))
    return save_tensors(load_tensors(data), metadata=header)


@pytest.mark.parametrize("spec,words", [
    ({"channels": [8, 16, 32, 64, 128]}, "1 to 4 blocks"),
    ({"channels": [8, 2048]}, "between 4 and 256"),
    ({"channels": [256, 256, 256, 256], "kernel": 5, "residual": True}, "parameters"),
    ("a big one", "set of named values"),
    ({"channels": [8, 16], "layers": 40}, "has no 'layers'"),
    (None, "no design"),
])
def test_a_design_in_a_file_is_checked_before_anything_is_built(monkeypatch, spec, words):
    good = CustomSpec((8, 16), head="gap")
    model = custom_model(good)
    data = model_bytes(model, new_card(model, TrainConfig(arch=CUSTOM, spec=good), Report(0.5, [0.5] * 10,
                                       [[0] * 10] * 10), False, 1.0, 2))
    assert load_model_bytes(data)[1].spec == good
    built = []
    monkeypatch.setattr("fashion.weights.build_ensemble", lambda *a: built.append(a))
    with pytest.raises(WeightsError, match=words) as refused:
        load_model_bytes(with_header(data, spec=spec))
    assert str(refused.value).endswith(".") and built == []


def test_a_file_whose_tensors_are_not_its_design_is_refused():
    model = custom_model(CustomSpec((8, 16), head="gap"))
    data = model_bytes(model, new_card(model, TrainConfig(arch=CUSTOM, spec=model.spec), Report(
        0.5, [0.5] * 10, [[0] * 10] * 10), False, 1.0, 2))
    with pytest.raises(WeightsError, match="does not match the 'custom 8-24 GAP' architecture"):
        load_model_bytes(with_header(data, spec=asdict(CustomSpec((8, 24), head="gap"))))


def test_a_spec_file_is_read_and_checked(tmp_path):
    path = tmp_path / "design.json"
    path.write_text(json.dumps({"channels": [16, 32], "head": "gap"}))
    assert read_spec_file(path) == CustomSpec((16, 32), head="gap")
    path.write_text("{channels: 16")
    with pytest.raises(ValueError, match="is not JSON"):
        read_spec_file(path)
    path.write_text(json.dumps({"channels": [16] * 6}))
    with pytest.raises(ValueError, match="not a valid design: A design has 1 to 4 blocks"):
        read_spec_file(path)
    with pytest.raises(ValueError, match="Cannot read the spec file"):
        read_spec_file(tmp_path / "missing.json")


def test_the_inside_views_describe_a_custom_network():
    spec = CustomSpec((8, 16), kernel=5, pool="stride", batch_norm=False, residual=True, head="gap")
    model = custom_model(spec)
    stages = inside.feature_maps(model, torch.rand(28, 28).numpy())
    assert [s.name for s in stages] == ["Stage 1: 5×5 convolution with stride 2, ReLU, then 1 residual block",
                                        "Stage 2: 5×5 convolution with stride 2, ReLU, then 1 residual block"]
    assert [s.shape for s in stages] == [(8, 14, 14), (16, 7, 7)]
    assert inside.first_filters(model).shape == (8, 5, 5)


def test_the_probe_extrapolates_its_timed_steps_to_an_epoch():
    config = TrainConfig(arch=CUSTOM, spec=CustomSpec((8, 16), head="gap"), batch_size=512, eval_every=50)
    probe = measure(config)
    assert probe.images == 256 and 3 <= probe.steps <= 20 and probe.step_s > 0 and probe.eval_s > 0
    # 117 steps of 512 images in an epoch, and an evaluation every 50 of them.
    assert probe.epoch_s == pytest.approx(117 * probe.step_s + 117 / 50 * probe.eval_s)
    with pytest.raises(ValueError, match="parameters"):
        measure(replace(config, spec=CustomSpec((256,), head="hidden", hidden=1024)))


def test_train_takes_a_spec_file_and_evaluate_reads_the_model(tmp_path):
    from conftest import run_cli

    design, out = tmp_path / "design.json", tmp_path / "custom.safetensors"
    design.write_text(json.dumps({"channels": [8, 16], "head": "gap", "dropout": 0.1}))
    result = run_cli("train", "--spec", str(design), "--max-steps", "20", "--eval-every", "1000", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert load_model(out)[1].spec == CustomSpec((8, 16), head="gap", dropout=0.1)
    result = run_cli("evaluate", "--json", "--model", str(out))
    report = json.loads(result.stdout)
    assert report["arch"] == CUSTOM and report["spec"]["channels"] == [8, 16] and report["accuracy"] > 0.2
    result = run_cli("evaluate", "--model", str(out))
    assert result.returncode == 0 and "custom 8-16 GAP dropout 0.1" in result.stdout
    design.write_text(json.dumps({"channels": [8, 16], "kernel": 7}))
    result = run_cli("train", "--spec", str(design), "--out", str(out))
    assert result.returncode == 1 and "Unknown kernel size 7; choose one of 3, 5." in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("train", "--arch", "custom", "--out", str(out))
    assert result.returncode == 1 and "needs its design" in result.stderr
