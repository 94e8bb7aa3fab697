"""Classify tab: upload a photo, take one with the camera, or sketch an item."""
import streamlit as st


def render() -> None:
    st.info("Coming soon: classify your own photos and sketches.")
