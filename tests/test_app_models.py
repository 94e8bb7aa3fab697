"""Loading a model file in the sidebar: a checked file joins this session's models, a bad one gets a sentence."""
import pickle
import re

import pytest
import torch
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from fashion.card import ModelCard
from fashion.model import build_model
from fashion.ui.state import SHIPPED
from fashion.weights import model_bytes

pytestmark = pytest.mark.usefixtures("shared_built")

TIMEOUT = 180   # the first run classifies the 10,000 test images on two shared cores


def new_session() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload_model(at: AppTest, name: str, data: bytes) -> None:
    at.file_uploader(key="model_upload").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]


def test_a_model_file_joins_this_session_only():
    model = build_model("fast", torch.Generator().manual_seed(1)).eval()
    data = model_bytes(model, ModelCard(model.arch, test_accuracy=0.5, mirror=False))
    first, second = new_session(), new_session()
    upload_model(first, "mine.safetensors", data)
    assert not first.sidebar.error
    picker = first.selectbox(key="model_choice")
    assert picker.value.startswith("File 1 · mine.safetensors") and picker.options[0] == SHIPPED
    assert first.sidebar.metric[0].value == "50.00%"
    # The Mistakes tab now shows the loaded model's mistakes: untrained, it gets most images wrong.
    first.session_state["tab"] = "Mistakes"
    first.run()
    counts = [int(m.group(1).replace(",", "")) for c in first.tabs[1].caption
              if (m := re.match(r"([\d,]+) mistakes", c.value))]
    assert counts and counts[0] > 5_000            # the shipped model makes about 530
    second.run()
    assert second.selectbox(key="model_choice").options == [SHIPPED]


def test_a_pickle_or_a_mismatched_file_gets_a_sentence_and_changes_nothing():
    at = new_session()
    upload_model(at, "evil.safetensors", pickle.dumps({"weights": [1, 2, 3]}))
    assert "pickle" in at.sidebar.error[0].value.lower()
    at.run()                                            # the complaint stays while the file does
    assert "pickle" in at.sidebar.error[0].value.lower()
    upload_model(at, "garbage.safetensors", b"\x10\x00\x00\x00\x00\x00\x00\x00{}")
    assert at.sidebar.error and at.sidebar.error[0].value.endswith(".")
    assert at.selectbox(key="model_choice").options == [SHIPPED]
