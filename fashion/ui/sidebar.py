"""The sidebar: which model the Mistakes and Classify tabs use, what it is, and loading a model file."""
import logging

import streamlit as st

from fashion.classes import CLASS_LIST
from fashion.devices import describe
from fashion.spec import arch_name
from fashion.ui import state
from fashion.weights import WeightsError

log = logging.getLogger(__name__)


def load_uploaded_model() -> None:
    """Check and add the uploaded model file, then choose it (a callback: it runs before the widgets)."""
    st.session_state.pop("model_upload_error", None)   # a new file, or none: the old complaint is moot
    upload = st.session_state.get("model_upload")
    if upload is None:
        return
    try:
        st.session_state.model_choice = state.load_model_file(upload.name, upload.getvalue())
    except WeightsError as error:
        st.session_state.model_upload_error = str(error)
    except Exception:
        # Whatever else a crafted file triggers, the person gets a sentence and keeps their session.
        log.exception("Loading an uploaded model file failed")
        st.session_state.model_upload_error = "This model file could not be loaded. Please try another one."


def render() -> None:
    with st.sidebar:
        st.header("Model in use")
        st.selectbox("Model for Mistakes and Classify", state.model_names(), key="model_choice",
                     help="The shipped model, any run you trained in this session, or a model file you loaded.")
        card = state.chosen_classifier().card
        st.metric("Test accuracy", f"{card.test_accuracy:.2%}" if card.test_accuracy is not None else "—")
        st.caption(f"Architecture **{arch_name(card.arch, card.spec)}**"
                   + (f", an ensemble of {card.members} averaged" if card.members > 1 else "")
                   + f", {card.params:,} parameters" + (", mirror averaging" if card.mirror else ""))
        device, why_not = state.device_choice()
        st.caption(f"Answers and training run on **{describe(device)}** (set `FASHION_DEVICE` to choose).")
        if why_not:
            st.warning(why_not)
        with st.expander("Load a model file"):
            st.file_uploader("A `.safetensors` file downloaded from the Train tab", type=["safetensors"],
                             key="model_upload", on_change=load_uploaded_model,
                             help="Checked against its architecture before use. Pickles (.pt, .pth) are refused.")
            if error := st.session_state.get("model_upload_error"):
                st.error(error)
        st.divider()
        st.caption(f"The ten classes: {CLASS_LIST}.")
