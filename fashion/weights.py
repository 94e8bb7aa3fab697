"""Save and load models as safetensors, each with its card (fashion/card.py) in the header.

Never pickle: a pickle is code, and is refused.
"""
from __future__ import annotations

import json
import struct
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from fashion.card import CardError, ModelCard, from_header
from fashion.config import CUSTOM
from fashion.files import atomic_write
from fashion.model import ARCHITECTURES, MAX_MEMBERS, Model, build_ensemble
from fashion.spec import CustomSpec, arch_name

MAX_MODEL_BYTES = 50 * 1024 * 1024   # our largest architecture is ~5 MB


class WeightsError(Exception):
    """A model file that cannot be used; the message says why in a sentence."""


def model_bytes(model: Model, card: ModelCard) -> bytes:
    """The model as safetensors bytes, its card in the header."""
    tensors = {name: t.detach().cpu().contiguous() for name, t in model.state_dict().items()}
    return save_tensors(tensors, metadata=card.header())


def save_model(model: Model, path: Path, card: ModelCard) -> None:
    atomic_write(path, model_bytes(model, card))


def read_header(data: bytes) -> dict:
    """The header's metadata, each value parsed from JSON: read ourselves, from bytes as well as files."""
    if len(data) < 8:
        raise WeightsError("This model file is empty or truncated.")
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > len(data) - 8:
        raise WeightsError("This model file is truncated or is not a safetensors file.")
    try:
        header = json.loads(data[8:8 + header_len])
        return {key: json.loads(value) for key, value in header.get("__metadata__", {}).items()}
    except (ValueError, AttributeError) as e:
        raise WeightsError("This model file's header is not valid safetensors metadata.") from e


def is_safetensors(data: bytes) -> bool:
    """An 8-byte little-endian header length that fits the file, then the JSON header's opening brace."""
    return len(data) >= 9 and struct.unpack("<Q", data[:8])[0] <= len(data) - 8 and data[8:9] == b"{"


def is_pickle(data: bytes) -> bool:
    """torch.save's zip archive, or a raw pickle: the PROTO opcode (0x80) and a protocol from 2 to 5."""
    return data[:4] == b"PK\x03\x04" or (data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"))


def refuse_pickle(data: bytes) -> None:
    # A safetensors header length can start with 0x80 too (one file in 32): its structure decides.
    if is_pickle(data) and not is_safetensors(data):
        raise WeightsError("This looks like a PyTorch pickle (.pt/.pth) file. Pickles can run code, so only "
                           ".safetensors model files are accepted.")


def load_model_bytes(data: bytes) -> tuple[Model, ModelCard]:
    """Check a safetensors model against its architecture and return it in eval mode with its card."""
    if len(data) > MAX_MODEL_BYTES:
        raise WeightsError(f"This model file is larger than {MAX_MODEL_BYTES // 2**20} MB; ours are far smaller.")
    refuse_pickle(data)
    header = read_header(data)
    arch = header.get("arch")
    if arch not in ARCHITECTURES and arch != CUSTOM:
        raise WeightsError(f"This model file names an unknown architecture ({arch!r}).")
    spec = read_spec(header.get("spec")) if arch == CUSTOM else None
    members = header.get("members", 1)
    if not (isinstance(members, int) and not isinstance(members, bool) and 1 <= members <= MAX_MEMBERS):
        raise WeightsError(f"This model file's metadata gives a number of members that is not 1 to {MAX_MEMBERS}.")
    try:
        tensors = load_tensors(data)
    except SafetensorError as e:
        raise WeightsError(f"This model file is not a valid safetensors file ({e}).") from e
    model = build_ensemble(arch, members, spec)
    check_tensors(model, tensors)
    if not all(t.isfinite().all() for t in tensors.values() if t.is_floating_point()):
        raise WeightsError("This model file holds weights that are not numbers (NaN or infinite), so every answer "
                           "it gave would be meaningless.")
    model.load_state_dict(tensors)
    try:
        return model.eval(), from_header(header, model)
    except CardError as e:
        raise WeightsError(str(e)) from None


def read_spec(values) -> CustomSpec:
    """A custom architecture's design from a file's card, held to the builder's bounds before anything is built."""
    if values is None:
        raise WeightsError("This model file has a custom architecture but no design ('spec') to build it from.")
    try:
        return CustomSpec.from_dict(values)
    except ValueError as e:
        raise WeightsError(f"This model file's custom design ('spec') is not valid: {e}") from None


def check_tensors(model: Model, tensors: dict[str, torch.Tensor]) -> None:
    expected = {name: t.shape for name, t in model.state_dict().items()}
    if set(tensors) != set(expected):
        missing, extra = sorted(set(expected) - set(tensors)), sorted(set(tensors) - set(expected))
        raise WeightsError(f"This model file does not match the {arch_name(model.arch, model.spec)!r} architecture "
                           f"(missing {missing[:3]}, unexpected {extra[:3]}).")
    for name, shape in expected.items():
        if tensors[name].shape != shape:
            raise WeightsError(f"This model file does not match the {arch_name(model.arch, model.spec)!r} "
                               f"architecture ({name} has shape {tuple(tensors[name].shape)}, "
                               f"expected {tuple(shape)}).")


def load_model(path: Path) -> tuple[Model, dict]:
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"No model file at {path}.")
    if path.stat().st_size > MAX_MODEL_BYTES:
        raise WeightsError(f"{path} is larger than {MAX_MODEL_BYTES // 2**20} MB; ours are far smaller.")
    return load_model_bytes(path.read_bytes())


def weights_of(model_file: bytes | None) -> dict[str, torch.Tensor] | None:
    """The weights in a model file, checked as load_model_bytes checks them, to train on from (None: none)."""
    return None if model_file is None else load_model_bytes(model_file)[0].state_dict()
