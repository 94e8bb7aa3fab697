"""The command line as a user runs it: python -m fashion ..."""
import argparse
import json

import pytest
import torch
from safetensors.torch import load_file

from conftest import run_cli
from fashion.classes import CLASS_NAMES, CLASS_SLUGS
from fashion.cli import build_parser


def subcommands() -> list[str]:
    """Every command the parser knows, read from it, so that a new one is tested without a list to update."""
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return list(action.choices)


def test_the_command_list_is_read_from_the_parser():
    assert {"train", "join", "evaluate", "classify", "evaluate-photos", "fit-unfamiliar", "bench",
            "download"} <= set(subcommands())


@pytest.mark.parametrize("command", subcommands())
def test_help_on_every_command(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0 and "usage: python -m fashion " + command in result.stdout


def test_classify_json_one_line_per_file_in_order(photos, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("this is not an image")
    files = [str(sorted((photos / "trouser").glob("*.jpg"))[0]), str(bad),
             str(sorted((photos / "coat").glob("*.jpg"))[0])]
    result = run_cli("classify", "--json", *files)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == files
    good, error, other = lines
    assert error == {"file": str(bad), "error": error["error"]}
    assert "not an image we can read" in error["error"]
    for line in (good, other):
        assert line["label"] == CLASS_NAMES[line["index"]]
        assert 0 < line["confidence"] <= 1 and len(line["top"]) == 3
        assert line["top"][0] == [line["label"], line["confidence"]]
        assert isinstance(line["unfamiliar"], bool) and isinstance(line["unfamiliar_score"], float)


def test_classify_all_good_files_exits_zero(photos):
    files = [str(p) for p in sorted((photos / "tshirt_top").glob("*.jpg"))[:2]]
    result = run_cli("classify", *files)
    assert result.returncode == 0
    assert all(line.split(": ")[1].split(" (")[0] in CLASS_NAMES for line in result.stdout.splitlines())


def test_evaluate_json_on_shipped_model():
    result = run_cli("evaluate", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["accuracy"] >= 0.93
    assert len(report["per_class"]) == 10 and all(0 <= a <= 1 for a in report["per_class"])
    assert report["params"] < 1_500_000 and report["arch"]
    for name in ("precision", "recall", "f1"):
        assert len(report[name]) == 10 and all(0 <= v <= 1 for v in report[name]), name
    assert report["recall"] == pytest.approx(report["per_class"])     # a class's recall is its accuracy
    assert 0 <= report["ece"] <= 1


def test_train_writes_a_model_that_evaluate_reads(tmp_path):
    out = tmp_path / "tiny.safetensors"
    result = run_cli("train", "--max-steps", "30", "--eval-every", "1000", "--out", str(out))
    assert result.returncode == 0, result.stderr
    result = run_cli("evaluate", "--json", "--model", str(out))
    report = json.loads(result.stdout)
    assert report["accuracy"] > 0.4      # 30 steps: far above chance (0.1), far below a trained model


def test_train_members_gives_an_ensemble_of_the_models_each_seed_gives_alone(tmp_path):
    quick = ["--max-steps", "10", "--eval-every", "1000"]
    pair, zero, one, joined = (str(tmp_path / f"{name}.safetensors") for name in ("pair", "zero", "one", "joined"))
    assert run_cli("train", *quick, "--members", "2", "--out", pair).returncode == 0
    for seed, out in (("0", zero), ("1", one)):
        assert run_cli("train", *quick, "--seed", seed, "--out", out).returncode == 0
    pair_t, one_t = load_file(pair), load_file(one)
    assert set(pair_t) == {f"members.{i}.{name}" for i in (0, 1) for name in one_t}
    assert all(torch.equal(pair_t[f"members.1.{name}"], tensor) for name, tensor in one_t.items())
    assert "from 1 to 4" in run_cli("train", "--members", "9").stderr
    # Members trained apart and joined make the same file's tensors as --members.
    assert run_cli("join", zero, one, "--out", joined).returncode == 0
    joined_t = load_file(joined)
    assert joined_t.keys() == pair_t.keys() and all(torch.equal(joined_t[k], pair_t[k]) for k in pair_t)


def test_join_refuses_models_of_other_settings_in_a_sentence(tmp_path):
    quick = ["--max-steps", "5", "--eval-every", "1000"]
    slow, fast = str(tmp_path / "slow.safetensors"), str(tmp_path / "fast.safetensors")
    assert run_cli("train", *quick, "--lr", "0.1", "--out", slow).returncode == 0
    assert run_cli("train", *quick, "--out", fast).returncode == 0
    result = run_cli("join", slow, fast, "--out", str(tmp_path / "both.safetensors"))
    assert result.returncode == 1 and "same settings" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "both.safetensors").exists()


def test_missing_model_is_a_sentence_not_a_traceback(tmp_path):
    result = run_cli("evaluate", "--model", str(tmp_path / "nope.safetensors"))
    assert result.returncode == 1 and "No model file" in result.stderr and "Traceback" not in result.stderr


def test_class_slugs_match_the_photo_folders(photos):
    assert {p.name for p in photos.iterdir() if p.is_dir()} - {"not_fashion_mnist"} <= set(CLASS_SLUGS)


def test_sigterm_ends_training_like_ctrl_c(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import ROOT

    out = tmp_path / "never.safetensors"
    command = [sys.executable, "-m", "fashion", "train", "--epochs", "5", "--out", str(out)]
    with subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE,
                          text=True) as process:
        seen = ""
        while "step" not in seen:                  # the progress bar has started
            char = process.stderr.read(1)
            if not char:                           # it ended before: the asserts below say how
                break
            seen += char
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        stderr = seen + process.stderr.read()
    assert process.returncode == 130 and "interrupted" in stderr and "Traceback" not in stderr, stderr[-2000:]
    assert not out.exists()


def counting(train, steps: list):
    """`train`, with every event it yields also put in `steps`."""
    def counted(*args, **kwargs):
        for event in train(*args, **kwargs):
            steps.append(event)
            yield event
    return counted


def test_an_interrupt_whose_raise_was_swallowed_still_stops_training(data, monkeypatch):
    """A signal's raise can land where Python swallows it (a __del__, a callback); the flag it also sets
    stops the run at its next batch, and the command ends as interrupted, with no model to save."""
    from fashion import cli
    from fashion.config import TrainConfig

    steps = []
    monkeypatch.setattr(cli, "train", counting(cli.train, steps))
    cli.INTERRUPTED.set()             # as the handler does, before its raise went astray
    try:
        with pytest.raises(cli.Interrupted):
            cli.train_with_progress(TrainConfig(epochs=1), data, torch.device("cpu"))
    finally:
        cli.INTERRUPTED.clear()
    assert len(steps) == 1 and steps[0].stopped       # the DoneEvent alone: not one batch trained


def test_an_interrupt_whose_raise_was_swallowed_still_stops_the_benchmark(data, monkeypatch):
    """The same flag ends both of the benchmark's runs at their next batch, and `bench` prints no result."""
    import argparse

    from fashion import bench, cli

    steps = []
    monkeypatch.setattr(bench, "train", counting(bench.train, steps))
    cli.INTERRUPTED.set()
    try:
        with pytest.raises(cli.Interrupted):
            cli.cmd_bench(argparse.Namespace(json=True, device=torch.device("cpu")))
        result = bench.run_bench(interrupted=cli.INTERRUPTED, device=torch.device("cpu"))
    finally:
        cli.INTERRUPTED.clear()
    assert [type(e).__name__ for e in steps] == ["StepEvent", "DoneEvent"] * 2   # one batch each time
    assert result["reference_images_per_s"] == 0 and not result["reached_90"]       # the reference: none


def test_an_interrupt_inside_c_code_still_exits_130(tmp_path):
    """The signal may land while PyTorch's C code runs Python source (PyRun_String): a plain KeyboardInterrupt
    raised there made CPython end a `python -m` process by SIGINT after main had caught it and returned 130."""
    import os
    import subprocess
    import sys

    from conftest import ROOT

    script = """
import ctypes, sys
from fashion.cli import interrupt
run = ctypes.pythonapi.PyRun_String
run.restype, run.argtypes = ctypes.py_object, [ctypes.c_char_p, ctypes.c_int, ctypes.py_object, ctypes.py_object]
try:
    run(b"interrupt(15, None)", 257, {"interrupt": interrupt}, {})     # 257: Py_file_input
except KeyboardInterrupt:
    sys.exit(130)
"""
    (tmp_path / "probe.py").write_text(script)
    probe = subprocess.run([sys.executable, "-m", "probe"], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                           timeout=120)
    assert probe.returncode == 130


def test_lr_find_json_gives_the_curve_and_a_suggestion_within_bounds():
    result = run_cli("lr-find", "--steps", "30", "--optimizer", "adamw", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert len(out["lrs"]) == len(out["losses"]) <= 30 and out["lrs"] == sorted(out["lrs"])
    assert out["optimizer"] == "adamw" and 1e-5 <= out["suggested"] <= 2.0


def test_lr_find_refuses_a_bad_step_count_in_a_sentence():
    result = run_cli("lr-find", "--steps", "5")
    assert result.returncode == 2 and "whole number from 10 to 1000" in result.stderr
