import json
import pickle

import pytest
import torch
from safetensors.torch import save as save_tensors

from fashion.card import ModelCard, new_card
from fashion.classes import DEFAULT_WEIGHTS
from fashion.config import TrainConfig
from fashion.evaluate import Report
from fashion.model import Ensemble, build_model, count_params
from fashion.weights import WeightsError, load_model, load_model_bytes, model_bytes, save_model


def test_round_trip_keeps_weights_and_the_whole_card(tmp_path):
    model = build_model("fast", torch.Generator().manual_seed(0)).eval()
    path = tmp_path / "m.safetensors"
    report = Report(0.9, [0.9] * 10, [[0] * 10] * 10)
    card = new_card(model, TrainConfig(epochs=2), report, mirror=False, training_time_s=12.34, steps=30)
    card.extra["note"] = "kept as it was"
    save_model(model, path, card)
    loaded, read = load_model(path)
    x = torch.rand(4, 1, 28, 28)
    assert torch.equal(model(x), loaded(x))
    assert read == card and read.config == TrainConfig(epochs=2) and read.training_time_s == 12.3
    assert read.machine and read.created and read.params == count_params(model) > 0
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]   # no temporary file left behind


def test_the_shipped_card_reads_with_its_types():
    _, card = load_model(DEFAULT_WEIGHTS)
    assert card.arch == "resnet10-slim" and card.members == 2 and card.mirror is False
    assert isinstance(card.config, TrainConfig) and card.config.epochs == 45
    assert 0.9 < card.test_accuracy <= 1 and len(card.per_class) == 10 and card.extra == {}


def test_pickles_are_refused_never_loaded(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save(build_model("fast").state_dict(), path)
    with pytest.raises(WeightsError, match="pickle"):
        load_model(path)
    with pytest.raises(WeightsError, match="pickle"):
        load_model_bytes(pickle.dumps({"a": 1}))


def test_wrong_architecture_and_garbage_are_refused():
    tensors = {k: v.contiguous() for k, v in build_model("fast").state_dict().items()}
    mislabelled = save_tensors(tensors, metadata={"arch": json.dumps("medium")})
    with pytest.raises(WeightsError, match="does not match"):
        load_model_bytes(mislabelled)
    del tensors["head.weight"]
    with pytest.raises(WeightsError, match="missing"):
        load_model_bytes(save_tensors(tensors, metadata={"arch": json.dumps("fast")}))
    for junk in (b"", b"\x10\x00\x00\x00\x00\x00\x00\x00{}", b"hello world, not a model"):
        with pytest.raises(WeightsError):
            load_model_bytes(junk)


def test_metadata_is_checked_not_trusted():
    tensors = {k: v.contiguous() for k, v in build_model("fast").state_dict().items()}

    def file_with(**meta) -> bytes:
        header = {"arch": "fast", **meta}
        return save_tensors(tensors, metadata={key: json.dumps(value) for key, value in header.items()})

    for bad in ({"test_accuracy": "99%"}, {"test_accuracy": 1.5}, {"mirror": "yes"}, {"per_class": [0.5] * 9},
                {"steps": 2.5}, {"training_time_s": -1}, {"machine": 7}, {"config": [1, 2]},
                {"config": {"epochs": 10_000}}, {"config": {"arch": "huge"}}, {"class_names": ["a", "b"]}):
        name = next(iter(bad))
        with pytest.raises(WeightsError, match=name if name != "class_names" else "other classes"):
            load_model_bytes(file_with(**bad))
    _, card = load_model_bytes(file_with(params=-5, test_accuracy=0.9))
    assert card.params == sum(t.numel() for name, t in build_model("fast").named_parameters())
    assert card.test_accuracy == 0.9 and card.config is None and card.mirror is True   # the defaults of a bare file


def test_an_ensemble_round_trips_and_its_member_count_is_checked(tmp_path):
    members = [build_model("fast", torch.Generator().manual_seed(s)).eval() for s in (0, 1)]
    ensemble = Ensemble(members).eval()
    path = tmp_path / "pair.safetensors"
    save_model(ensemble, path, ModelCard("fast", members=2, mirror=False))
    loaded, card = load_model(path)
    x = torch.rand(4, 1, 28, 28)
    assert isinstance(loaded, Ensemble) and card.members == 2 and card.params == 2 * count_params(members[0])
    assert torch.equal(ensemble(x), loaded(x))
    tensors = {k: v.contiguous() for k, v in ensemble.state_dict().items()}
    for members_field in (0, 5, "2", True, 1):          # 1: the tensors are a pair's, not one model's
        data = save_tensors(tensors, metadata={"arch": json.dumps("fast"), "members": json.dumps(members_field)})
        with pytest.raises(WeightsError, match="members|does not match"):
            load_model_bytes(data)


def test_a_safetensors_header_length_that_starts_with_the_pickle_byte_still_loads():
    model, card = load_model(DEFAULT_WEIGHTS)
    for length in range(64):                 # one note length in 32 puts 0x80 in the header length's low byte
        card.extra["note"] = "n" * length
        data = model_bytes(model, card)
        if data[0] == 0x80:
            break
    assert data[0] == 0x80
    loaded, read = load_model_bytes(data)
    assert read.extra["note"] == card.extra["note"] and read.test_accuracy == card.test_accuracy


def test_weights_that_are_not_numbers_are_refused():
    model = build_model("fast").eval()
    for bad in (float("nan"), float("inf")):
        with torch.no_grad():
            model.head.weight[0, 0] = bad
        with pytest.raises(WeightsError, match="not numbers"):
            load_model_bytes(model_bytes(model, ModelCard("fast")))
