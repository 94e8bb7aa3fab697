"""What the tabs share: read-only resources cached for all sessions, and this session's own models."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import streamlit as st

from fashion.classes import DEFAULT_WEIGHTS
from fashion.shared import Shared

# PyTorch is imported where it is first needed, so the Train tab's controls can show before it loads.
if TYPE_CHECKING:
    import torch

    from fashion.data import FashionMNIST
    from fashion.infer import Classifier

SHIPPED = "Shipped model"


def load_dataset() -> FashionMNIST:
    from fashion.data import load_fashion_mnist

    return load_fashion_mnist()


def choose_device() -> tuple[torch.device, str | None]:
    from fashion.devices import choose_or_cpu

    return choose_or_cpu()


def load_shipped_classifier() -> Classifier:
    from fashion.infer import Classifier

    return Classifier.load(DEFAULT_WEIGHTS, device())


def classify_test_images() -> torch.Tensor:
    return shipped_classifier().probs(dataset().test_images)


# Built once per process, in the background at server start (fashion.ui.warm_up), and only ever read.
# The device every model of the app answers and trains on (FASHION_DEVICE, else the best there is), and the
# sentence why it is the CPU if FASHION_DEVICE names one this machine lacks.
device_choice: Shared[tuple[torch.device, str | None]] = Shared(choose_device)
dataset: Shared[FashionMNIST] = Shared(load_dataset)                      # the 70,000 images
shipped_classifier: Shared[Classifier] = Shared(load_shipped_classifier)
# The shipped model's answers on the test images take seconds: the Mistakes tab shows a note until
# they are ready rather than hold up the page.
shipped_test_probs: Shared[torch.Tensor] = Shared(classify_test_images)


@dataclass
class Run:
    """A finished (or stopped) training run of this session, kept in st.session_state.runs."""
    name: str
    config: dict
    accuracy: float
    per_class: list[float]
    confusion: list[list[int]]
    curves: dict                    # "step", "loss", "train_accuracy", "eval_step", "test_accuracy"
    classifier: Classifier
    model_file: bytes               # safetensors, for the download button
    seconds: float
    stopped: bool
    device: str                     # where it trained, in words
    test_probs: torch.Tensor | None = field(default=None, repr=False)


@dataclass
class LoadedModel:
    """A model file the person loaded in this session (checked by fashion.weights before use)."""
    name: str
    classifier: Classifier
    digest: str                     # sha256 of the file, so loading the same file twice adds nothing
    test_probs: torch.Tensor | None = field(default=None, repr=False)


def device() -> torch.device:
    return device_choice()[0]


def runs() -> list[Run]:
    if "runs" not in st.session_state:
        st.session_state.runs = []
    return st.session_state.runs


def loaded_models() -> list[LoadedModel]:
    if "loaded_models" not in st.session_state:
        st.session_state.loaded_models = []
    return st.session_state.loaded_models


def session_models() -> list[Run | LoadedModel]:
    """This session's own models, trained or loaded: never seen by any other session."""
    return [*runs(), *loaded_models()]


def model_names() -> list[str]:
    return [SHIPPED] + [model.name for model in session_models()]


def chosen_name() -> str:
    name = st.session_state.get("model_choice", SHIPPED)
    return name if name in model_names() else SHIPPED


def chosen_model() -> Run | LoadedModel | None:
    """The session model chosen in the sidebar, or None for the shipped one."""
    name = chosen_name()
    return next((model for model in session_models() if model.name == name), None)


def chosen_classifier() -> Classifier:
    """The model the Mistakes and Classify tabs use: the shipped one, or one of this session's."""
    model = chosen_model()
    return model.classifier if model is not None else shipped_classifier()


def test_probs_ready() -> bool:
    """Whether chosen_test_probs() answers at once: a session's own model is classified in the script
    (about a second), the shipped one only in the background."""
    return chosen_model() is not None or shipped_test_probs.ready


def chosen_test_probs() -> torch.Tensor:
    """Probabilities of the chosen model on the test set, computed once per model."""
    model = chosen_model()
    if model is None:
        return shipped_test_probs()
    if model.test_probs is None:
        model.test_probs = model.classifier.probs(dataset().test_images)
    return model.test_probs


def load_model_file(file_name: str, data: bytes) -> str:
    """Add a model file to this session's models and return its name; WeightsError says why not."""
    from fashion.infer import Classifier
    from fashion.weights import load_model_bytes

    digest = hashlib.sha256(data).hexdigest()
    for model in loaded_models():
        if model.digest == digest:
            return model.name
    classifier = Classifier(*load_model_bytes(data), device=device())
    accuracy = classifier.card.test_accuracy
    name = f"File {len(loaded_models()) + 1} · {file_name}" + (f" · {accuracy:.1%}" if accuracy is not None else "")
    loaded_models().append(LoadedModel(name, classifier, digest))
    return name
