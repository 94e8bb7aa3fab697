"""One device for the package: chosen by name, by FASHION_DEVICE or by what the machine has; refused with a
sentence when it is not there; followed by training, inference, the CLI and the benchmark."""
import json

import pytest
import torch

from conftest import run_cli
from fashion import devices, infer
from fashion.card import ModelCard
from fashion.config import TrainConfig
from fashion.devices import ENV_VAR, DeviceError, choose, choose_or_cpu
from fashion.events import DoneEvent
from fashion.model import build_model
from fashion.train import train

no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")


@pytest.fixture(autouse=True)
def no_device_set(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


def test_auto_takes_the_best_device_there_is():
    best = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert choose().type == choose("auto").type == best
    assert choose("CPU ") == torch.device("cpu")


def test_the_environment_chooses_and_a_name_given_outranks_it(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "cpu")
    assert choose() == torch.device("cpu")
    monkeypatch.setenv(ENV_VAR, "tpu")
    with pytest.raises(DeviceError, match=f"Unknown device 'tpu' \\({ENV_VAR}\\)"):
        choose()
    assert choose("cpu") == torch.device("cpu")
    device, why_not = choose_or_cpu()         # what the app does: start on the CPU, and say why
    assert device == torch.device("cpu") and ENV_VAR in why_not and why_not.endswith("Using the CPU.")


@no_cuda
def test_a_device_this_machine_lacks_is_refused_with_a_sentence():
    with pytest.raises(DeviceError, match="This machine has no CUDA GPU"):
        choose("cuda")
    for bad in ("cuda:x", "cpu:0", "gpu"):
        with pytest.raises(DeviceError, match="choose auto, cuda, cuda:N, mps or cpu"):
            choose(bad)
    result = run_cli("--device", "cuda", "evaluate")
    assert result.returncode == 1 and "This machine has no CUDA GPU (--device cuda)" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_precision_policy_follows_the_device():
    cpu = torch.device("cpu")
    assert devices.low_precision(cpu) == (torch.bfloat16 if devices.bf16_supported() else None)
    with devices.autocast(cpu, wanted=False):
        assert not torch.is_autocast_enabled("cpu")
    with devices.autocast(cpu):
        assert torch.is_autocast_enabled("cpu") == devices.bf16_supported()


def test_the_dataset_moves_once_and_training_says_where_it_ran(data):
    cpu = torch.device("cpu")
    assert data.to(cpu).train_images is data.train_images          # already there: not copied
    events = list(train(TrainConfig(max_steps=3, eval_every=3), data, device=cpu))
    done = events[-1]
    assert isinstance(done, DoneEvent) and done.device == devices.describe(cpu) and done.device.startswith("cpu")
    assert devices.device_of(done.model) == cpu


def test_inference_runs_on_the_models_device_and_answers_on_the_cpu(data):
    classifier = infer.Classifier(build_model("fast", torch.Generator().manual_seed(0)), ModelCard("fast"),
                                  device=choose())
    assert devices.device_of(classifier.model) == choose()
    probs = classifier.probs(data.test_images[:5])
    assert probs.device == torch.device("cpu") and probs.shape == (5, 10)


def test_evaluate_and_the_benchmark_report_the_device(data):
    from fashion.bench import run_bench

    result = run_bench(cap_s=0.5, reference_cap_s=0.5)
    assert result["device"] == devices.describe(choose()) and result["accuracy"] > 0
    evaluated = run_cli("--device", "cpu", "evaluate", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["device"].startswith("cpu")
