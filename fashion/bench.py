"""Time to 90% test accuracy: the app's default live recipe against a tutorial-style CNN, in one process.

Both runs are timed the same honest way: the clock runs from the first batch, every evaluation on all
10,000 test images counts, and a run stops at the first evaluation that reaches 90% or when its cap
passes. Both evaluate after about every 25,600 training images.
"""
from __future__ import annotations

import resource
import threading
import time
from collections.abc import Callable

import torch
from torch import nn

from fashion.classes import NUM_CLASSES, PIXEL_MEAN, PIXEL_STD
from fashion.config import TrainConfig
from fashion.data import FashionMNIST, batches, load_fashion_mnist, to_float
from fashion.devices import choose, describe
from fashion.evaluate import evaluate
from fashion.events import DoneEvent, EvalEvent, StepEvent
from fashion.train import train

TARGET = 0.90
REFERENCE_BATCH = 64
REFERENCE_EVAL_EVERY = 400          # 400 x 64 = 25,600 images between evaluations, as ours (100 x 256)

Progress = Callable[[str], None]


class TutorialCNN(nn.Module):
    """The classic PyTorch MNIST example net: two 3x3 convs (32, 64), max-pool, 128-unit FC, dropout."""

    def __init__(self, generator: torch.Generator):
        super().__init__()
        self.generator = generator  # dropout draws from it, not from the global RNG
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(64 * 12 * 12, 128)
        self.fc2 = nn.Linear(128, NUM_CLASSES)

    def dropout(self, x: torch.Tensor, p: float) -> torch.Tensor:
        """Inverted dropout with our own generator (nn.Dropout can only use the global RNG)."""
        if not self.training:
            return x
        keep = (torch.rand(x.shape, generator=self.generator) >= p).to(x.device)
        return x * keep / (1 - p)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Features before the classifier, as every model here has them (fashion/infer.py runs it so)."""
        x = (x - PIXEL_MEAN) / PIXEL_STD
        x = torch.relu(self.conv2(torch.relu(self.conv1(x))))
        x = self.dropout(nn.functional.max_pool2d(x, 2), 0.25).flatten(1)
        return self.dropout(torch.relu(self.fc1(x)), 0.5)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        return self.fc2(features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))


def build_reference(seed: int = 0) -> TutorialCNN:
    """A seeded TutorialCNN; PyTorch's default init, drawn from our generator."""
    generator = torch.Generator().manual_seed(seed)
    model = TutorialCNN(generator)
    for layer in (model.conv1, model.conv2, model.fc1, model.fc2):
        nn.init.kaiming_uniform_(layer.weight, a=5 ** 0.5, generator=generator)
        bound = 1 / layer.weight[0].numel() ** 0.5
        nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
    return model


def run_ours(data: FashionMNIST, cap_s: float, progress: Progress | None, device: torch.device,
             interrupted: threading.Event) -> dict:
    """Train with the app's default TrainConfig until an evaluation reaches 90%, cap_s passes or
    `interrupted` is set."""
    config = TrainConfig()
    stop = threading.Event()
    hit, accuracy, images_per_s, elapsed = None, 0.0, 0.0, 0.0
    for event in train(config, data, stop, device):
        if isinstance(event, StepEvent):
            images_per_s, elapsed = event.images_per_s, event.elapsed_s
            if elapsed > cap_s or interrupted.is_set():
                stop.set()
        elif isinstance(event, EvalEvent):
            accuracy, elapsed = event.report.accuracy, event.elapsed_s
            report_progress(progress, "ours", event.step, elapsed, accuracy)
            if accuracy >= TARGET:
                hit = elapsed
                break                # closing the generator ends training; no extra evaluation
        elif isinstance(event, DoneEvent):
            accuracy, elapsed = event.report.accuracy, event.elapsed_s
    return {"time_to_90_s": hit, "images_per_s": images_per_s, "accuracy": accuracy,
            "elapsed_s": elapsed, "arch": config.arch}


def run_reference(data: FashionMNIST, cap_s: float, progress: Progress | None, device: torch.device,
                  interrupted: threading.Event, seed: int = 0) -> dict:
    """Train the tutorial CNN (Adam 1e-3, batch 64) until an evaluation reaches 90%, cap_s passes or
    `interrupted` is set."""
    model = build_reference(seed).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(seed)
    start, train_time, step, accuracy, hit = time.perf_counter(), 0.0, 0, 0.0, None
    while hit is None and time.perf_counter() - start <= cap_s and not interrupted.is_set():
        for images, labels in batches(data.train_images, data.train_labels, REFERENCE_BATCH, generator):
            t0 = time.perf_counter()
            loss = nn.functional.cross_entropy(model(to_float(images)), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            train_time += time.perf_counter() - t0
            step += 1
            if step % REFERENCE_EVAL_EVERY == 0:
                accuracy = evaluate(model, data.test_images, data.test_labels).accuracy
                elapsed = time.perf_counter() - start
                report_progress(progress, "reference", step, elapsed, accuracy)
                if accuracy >= TARGET:
                    hit = elapsed
                    break
            if time.perf_counter() - start > cap_s or interrupted.is_set():
                break
    return {"time_to_90_s": hit, "images_per_s": step * REFERENCE_BATCH / max(train_time, 1e-9),
            "accuracy": accuracy, "elapsed_s": time.perf_counter() - start}


def report_progress(progress: Progress | None, name: str, step: int, elapsed: float, accuracy: float) -> None:
    if progress is not None:
        progress(f"{name}: step {step}, {elapsed:.1f} s, test accuracy {accuracy:.2%}")


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_bench(cap_s: float = 90.0, progress: Progress | None = None, reference_cap_s: float = 180.0,
              device: torch.device | None = None, interrupted: threading.Event | None = None) -> dict:
    """Time ours and the reference to 90% test accuracy on `device` (default: fashion.devices.choose());
    a run that misses it gets None, never a guess. Setting `interrupted` ends both runs at their next
    batch (the caller then discards the result)."""
    device = device or choose()
    interrupted = interrupted or threading.Event()
    data = load_fashion_mnist().to(device)       # before the clocks start, as the app's workers hold it
    if progress:
        progress(f"ours: training the default live recipe on {device}")
    ours = run_ours(data, cap_s, progress, device, interrupted)
    ours_peak = peak_memory_mb()   # before the reference adds its own
    if progress:
        progress("reference: training the tutorial CNN")
    ref = run_reference(data, reference_cap_s, progress, device, interrupted)
    # If a run missed 90%, compare against its cap instead and say so: a bound, not a measurement.
    ours_time = ours["time_to_90_s"]
    ref_time = ref["time_to_90_s"] if ref["time_to_90_s"] is not None else reference_cap_s
    speedup = ref_time / ours_time if ours_time else None
    return {
        "time_to_90_s": ours["time_to_90_s"],
        "reference_time_to_90_s": ref["time_to_90_s"],
        "speedup": speedup,
        "speedup_is_lower_bound": ref["time_to_90_s"] is None and speedup is not None,
        "reached_90": ours["time_to_90_s"] is not None,
        "reference_reached_90": ref["time_to_90_s"] is not None,
        "images_per_s": ours["images_per_s"],
        "reference_images_per_s": ref["images_per_s"],
        "accuracy": ours["accuracy"],
        "reference_accuracy": ref["accuracy"],
        "cap_s": cap_s,
        "reference_cap_s": reference_cap_s,
        "peak_memory_mb": ours_peak,
        "process_peak_memory_mb": peak_memory_mb(),
        "threads": torch.get_num_threads(),
        "device": describe(device),
        "arch": ours["arch"],
    }


def format_bench(result: dict) -> str:
    """A small table: one row per metric, ours beside the reference."""
    def seconds(value, cap):
        return f"{value:.1f} s" if value is not None else f"not reached in {cap:.0f} s"

    if result["speedup"] is None:
        speedup = "n/a (ours did not reach 90%)"
    else:
        speedup = f"{result['speedup']:.1f}x" + (" (at least: reference hit its cap)"
                                                  if result["speedup_is_lower_bound"] else "")
    rows = [
        ("", f"ours ({result['arch']})", "tutorial CNN"),
        ("time to 90%", seconds(result["time_to_90_s"], result["cap_s"]),
         seconds(result["reference_time_to_90_s"], result["reference_cap_s"])),
        ("test accuracy at stop", f"{result['accuracy']:.2%}", f"{result['reference_accuracy']:.2%}"),
        ("training images/s", f"{result['images_per_s']:,.0f}", f"{result['reference_images_per_s']:,.0f}"),
    ]
    width = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(width[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in width))
    lines += ["", f"speedup: {speedup}",
              f"peak memory: {result['peak_memory_mb']:.0f} MB after our run, "
              f"{result['process_peak_memory_mb']:.0f} MB with the reference; device: {result['device']}"]
    return "\n".join(lines)
