"""Where the networks train and answer: one device for the whole package, and the precision that suits it.

`choose()` takes a CUDA GPU when there is one, then Apple's MPS, then the CPU; `--device` on the CLI and
FASHION_DEVICE for the app ask for one by name. Training and inference both go through `autocast`, so
the precision policy lives here once:
- CPU: bfloat16 where the CPU runs it natively (AVX512-BF16 or AMX); elsewhere it is emulated and slow;
- CUDA: bfloat16 where the GPU has it (Ampere and later), else float32;
- MPS: float32 (its autocast is young; these networks are small enough not to need it).
"""
from __future__ import annotations

import contextlib
import os

import torch

ENV_VAR = "FASHION_DEVICE"
AUTO = "auto"
KINDS = ("cuda", "mps", "cpu")          # auto's order of preference
NAMES = {"cuda": "CUDA GPU", "mps": "Apple GPU (MPS)", "cpu": "CPU"}


class DeviceError(ValueError):
    """A device that was asked for and cannot be used; the message says why and what to ask for instead."""


def available(kind: str) -> bool:
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        return torch.backends.mps.is_available()
    return kind == "cpu"


def choose(requested: str | None = None) -> torch.device:
    """The device named (e.g. "cuda", "cuda:1", "cpu"), or FASHION_DEVICE's, or the best there is ("auto")."""
    source = "--device" if requested else ENV_VAR
    name = (requested or os.environ.get(ENV_VAR) or AUTO).strip().lower()
    if name == AUTO:
        return torch.device(next(kind for kind in KINDS if available(kind)))
    kind, _, index = name.partition(":")
    if kind not in KINDS or (index and not (kind == "cuda" and index.isdigit())):
        raise DeviceError(f"Unknown device {name!r} ({source}); choose auto, cuda, cuda:N, mps or cpu.")
    if not available(kind):
        raise DeviceError(f"This machine has no {NAMES[kind]} ({source} {name}); use auto (the best there is) or cpu.")
    if index and int(index) >= torch.cuda.device_count():
        raise DeviceError(f"There is no GPU {index} ({source} {name}): this machine has "
                          f"{torch.cuda.device_count()} (numbered from 0).")
    return torch.device(name)


def choose_or_cpu() -> tuple[torch.device, str | None]:
    """FASHION_DEVICE's device, or the CPU and the sentence why not: for the app, which starts anyway."""
    try:
        return choose(), None
    except DeviceError as error:
        return torch.device("cpu"), f"{error} Using the CPU."


def describe(device: torch.device) -> str:
    """A few words for people: "cpu, 2 threads", "cuda (NVIDIA H200)"."""
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "mps (Apple GPU)"
    return f"cpu, {torch.get_num_threads()} thread{'s' if torch.get_num_threads() != 1 else ''}"


def bf16_supported() -> bool:
    """True if this CPU runs bfloat16 natively (AVX512-BF16 or AMX); elsewhere bf16 is emulated and slow."""
    return torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()


def low_precision(device: torch.device) -> torch.dtype | None:
    """The reduced precision this device runs natively, or None where float32 is the fast choice."""
    if device.type == "cpu":
        return torch.bfloat16 if bf16_supported() else None
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    return None


def autocast(device: torch.device, wanted: bool = True):
    """Run the block in the device's reduced precision if `wanted` and the device has one; weights, losses
    and the optimizer stay float32."""
    dtype = low_precision(device) if wanted else None
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


def device_of(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device
