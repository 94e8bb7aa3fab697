"""What the tabs share: read-only resources cached for all sessions, this person's id and their runs (kept
in the run store, found again through the id in the page's URL), and this session's loaded model files."""
from __future__ import annotations

import atexit
import hashlib
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import streamlit as st

from fashion.classes import DEFAULT_WEIGHTS
from fashion.jobs import TrainingJob, kept
from fashion.run_store import RunStore, StoredRun, is_owner_id, new_owner_id
from fashion.shared import Abandoned, Shared
from fashion.ui import warm_up

# PyTorch is imported where it is first needed, so the Train tab's controls can show before it loads.
if TYPE_CHECKING:
    import torch

    from fashion.data import FashionMNIST
    from fashion.infer import Classifier
    from fashion.neighbours import FeatureIndex

SHIPPED = "Shipped model"
OWNER_PARAM = "user"        # the page's query parameter that holds this person's id


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


_exiting = threading.Event()


def stop_builds() -> None:
    """At exit, let index builds end between two chunks: a thread killed inside PyTorch at shutdown ends the
    process with "terminate called without an active exception"."""
    _exiting.set()
    for thread in threading.enumerate():
        if thread.name.startswith("building Shared(index_of"):
            thread.join(timeout=10)


atexit.register(stop_builds)


def index_builder(classifier: Callable[[], Classifier]) -> Shared[FeatureIndex]:
    """A model's index of the training and test images' features (fashion.neighbours), built in the
    background on first need: 45 s for the shipped pair on two cores, so never in a page's script run."""
    def index_of_training_features() -> FeatureIndex:
        from fashion.neighbours import build_index

        data = dataset()
        return build_index(classifier().model, data.train_images, data.test_images, report)

    def report(share: float) -> None:
        if _exiting.is_set():
            raise Abandoned
        shared.progress = share

    shared = Shared(index_of_training_features)
    return shared


shipped_index: Shared[FeatureIndex] = index_builder(shipped_classifier)
# Every person's finished runs, on disk (FASHION_RUN_STORE), each person's under their own id.
run_store: Shared[RunStore] = Shared(RunStore)


@dataclass(eq=False)
class Run(StoredRun):
    """A finished (or stopped) training run of this person, read from the run store once per session; its
    model is loaded when first used (the Train tab draws the history before PyTorch has loaded)."""
    model_file: bytes = b""         # safetensors, for the download button
    test_probs: torch.Tensor | None = field(default=None, repr=False)
    _classifier: Classifier | None = field(default=None, repr=False)

    def __post_init__(self):
        self.index = index_builder(lambda: self.classifier)

    @property
    def classifier(self) -> Classifier:
        if self._classifier is None:
            from fashion.infer import Classifier
            from fashion.weights import load_model_bytes

            self._classifier = Classifier(*load_model_bytes(self.model_file), device=device())
        return self._classifier


@dataclass
class LoadedModel:
    """A model file the person loaded in this session (checked by fashion.weights before use)."""
    name: str
    classifier: Classifier
    digest: str                     # sha256 of the file, so loading the same file twice adds nothing
    test_probs: torch.Tensor | None = field(default=None, repr=False)

    def __post_init__(self):
        self.index = index_builder(lambda: self.classifier)


def device() -> torch.device:
    return device_choice()[0]


def offered(presets, default, key: str) -> list:
    """A slider's options: its presets and default, and the value the session holds for it, which a link or a
    preset may have put between two presets (Streamlit resets a value that is not among the options)."""
    return sorted({*presets, default, st.session_state.get(key, default)})


def owner_id() -> str:
    """This person's id, kept in the page's URL (?user=...) so that a reload, or the same link later, finds
    their runs again; a page without a valid one gets a new one."""
    if "owner" not in st.session_state:
        given = st.query_params.get(OWNER_PARAM)
        st.session_state.owner = given if is_owner_id(given) else new_owner_id()
    if st.query_params.get(OWNER_PARAM) != st.session_state.owner:
        st.query_params[OWNER_PARAM] = st.session_state.owner
    return st.session_state.owner


def runs() -> list[Run]:
    """This person's finished runs, oldest first, as the run store has them (a run of theirs that finished
    in another tab, or before a reload, is there too)."""
    owner, store = owner_id(), run_store()
    read: dict[str, Run] = st.session_state.setdefault("runs", {})      # run id -> Run, read once
    for stored in (listed := store.runs(owner)):
        if stored.id not in read:
            read[stored.id] = Run(**asdict(stored), model_file=store.model_file(owner, stored))
    return [read[stored.id] for stored in listed]


def keep_run(job: TrainingJob) -> None:
    """Put a finished job's run in its owner's store (the job queue calls it, in the job's thread, whether
    or not a page still shows the job)."""
    snap = job.snapshot()
    if job.owner is None or not kept(snap):
        return
    warm_up.wait_for_torch()      # imports are the warm-up thread's: never two threads importing torch at once
    from fashion.trained import stored_run

    run_store().save(job.owner, *stored_run(job.config, snap, job.parent))


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
    return shipped_test_probs() if model is None else test_probs_of(model)


def test_probs_of(model: Run | LoadedModel) -> torch.Tensor:
    """Probabilities of one of this session's models on the test set, computed once (about a second for
    the live recipe's network) and kept with it, for the Mistakes tab and the Train tab's run metrics alike."""
    if model.test_probs is None:
        model.test_probs = model.classifier.probs(dataset().test_images)
    return model.test_probs


def chosen_index() -> Shared[FeatureIndex]:
    """The chosen model's index of training features: ask `.ready` before calling it."""
    model = chosen_model()
    return shipped_index if model is None else model.index


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
