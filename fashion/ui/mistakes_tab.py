"""Mistakes tab: browse the test images the chosen model gets wrong."""
import streamlit as st


def render() -> None:
    st.info("Coming soon: a grid of the test images the model gets wrong.")
