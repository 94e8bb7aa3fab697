"""The sidebar: which model the Mistakes and Classify tabs use, and what it is."""
import streamlit as st

from fashion.ui import state


def render() -> None:
    with st.sidebar:
        st.header("Model in use")
        st.selectbox("Model for Mistakes and Classify", state.model_names(), key="model_choice",
                     help="The shipped model, or any run you trained in this session.")
        classifier = state.chosen_classifier()
        meta = classifier.metadata
        accuracy = meta.get("test_accuracy")
        st.metric("Test accuracy", f"{accuracy:.2%}" if accuracy is not None else "—")
        st.caption(f"Architecture **{meta.get('arch', '?')}**, {meta.get('params', 0):,} parameters"
                   + (", mirror averaging" if classifier.mirror else ""))
        st.divider()
        st.caption("The ten classes: T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, "
                   "Sneaker, Bag, Ankle boot.")
