"""What the tabs share: read-only resources cached for all sessions, and this session's own models."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import streamlit as st
import torch

from fashion.classes import DEFAULT_WEIGHTS
from fashion.data import FashionMNIST, load_fashion_mnist
from fashion.predict import Classifier

SHIPPED = "Shipped model"


@st.cache_resource
def limit_torch_threads() -> int:
    """Leave one core free for the server and for classifying while a session trains (once per process)."""
    threads = int(os.environ.get("FASHION_TORCH_THREADS", max(1, (os.cpu_count() or 1) - 1)))
    torch.set_num_threads(threads)
    return threads


@st.cache_resource(show_spinner="Loading Fashion-MNIST…")
def dataset() -> FashionMNIST:
    """The 70,000 images, loaded once per process and only ever read."""
    return load_fashion_mnist()


@st.cache_resource(show_spinner="Loading the shipped model…")
def shipped_classifier() -> Classifier:
    return Classifier.load(DEFAULT_WEIGHTS)


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
    test_probs: torch.Tensor | None = field(default=None, repr=False)


def runs() -> list[Run]:
    if "runs" not in st.session_state:
        st.session_state.runs = []
    return st.session_state.runs


def model_names() -> list[str]:
    return [SHIPPED] + [run.name for run in runs()]


def chosen_name() -> str:
    name = st.session_state.get("model_choice", SHIPPED)
    return name if name in model_names() else SHIPPED


def chosen_classifier() -> Classifier:
    """The model the Mistakes and Classify tabs use: the shipped one, or a run of this session."""
    name = chosen_name()
    for run in runs():
        if run.name == name:
            return run.classifier
    return shipped_classifier()


@st.cache_resource(show_spinner="Classifying the 10,000 test images…")
def shipped_test_probs() -> torch.Tensor:
    return shipped_classifier().probs(dataset().test_images)


def chosen_test_probs() -> torch.Tensor:
    """Probabilities of the chosen model on the test set, computed once per model."""
    name = chosen_name()
    for run in runs():
        if run.name == name:
            if run.test_probs is None:
                run.test_probs = run.classifier.probs(dataset().test_images)
            return run.test_probs
    return shipped_test_probs()
