import json
import pickle

import pytest
import torch
from safetensors.torch import save as save_tensors

from fashion.model import Ensemble, build_model, count_params
from fashion.weights import WeightsError, load_model, load_model_bytes, save_model


def test_round_trip_keeps_weights_and_metadata(tmp_path):
    model = build_model("fast", torch.Generator().manual_seed(0)).eval()
    path = tmp_path / "m.safetensors"
    save_model(model, path, {"test_accuracy": 0.9, "config": {"epochs": 2}})
    loaded, meta = load_model(path)
    x = torch.rand(4, 1, 28, 28)
    assert torch.equal(model(x), loaded(x))
    assert meta["arch"] == "fast" and meta["test_accuracy"] == 0.9 and meta["config"] == {"epochs": 2}
    assert meta["class_names"][0] == "T-shirt/top" and meta["params"] > 0
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]   # no temporary file left behind


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
        return save_tensors(tensors, metadata={"arch": json.dumps("fast"), **{k: json.dumps(v) for k, v in meta.items()}})

    with pytest.raises(WeightsError, match="test accuracy"):
        load_model_bytes(file_with(test_accuracy="99%"))
    with pytest.raises(WeightsError, match="mirror"):
        load_model_bytes(file_with(mirror="yes"))
    _, meta = load_model_bytes(file_with(params=-5, test_accuracy=0.9))
    assert meta["params"] == sum(t.numel() for name, t in build_model("fast").named_parameters())


def test_an_ensemble_round_trips_and_its_member_count_is_checked(tmp_path):
    members = [build_model("fast", torch.Generator().manual_seed(s)).eval() for s in (0, 1)]
    ensemble = Ensemble(members).eval()
    path = tmp_path / "pair.safetensors"
    save_model(ensemble, path, {"mirror": False})
    loaded, meta = load_model(path)
    x = torch.rand(4, 1, 28, 28)
    assert isinstance(loaded, Ensemble) and meta["members"] == 2 and meta["params"] == 2 * count_params(members[0])
    assert torch.equal(ensemble(x), loaded(x))
    tensors = {k: v.contiguous() for k, v in ensemble.state_dict().items()}
    for members_field in (0, 5, "2", True, 1):          # 1: the tensors are a pair's, not one model's
        data = save_tensors(tensors, metadata={"arch": json.dumps("fast"), "members": json.dumps(members_field)})
        with pytest.raises(WeightsError, match="members|does not match"):
            load_model_bytes(data)
