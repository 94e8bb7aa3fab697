"""The app's user interface: the only part of the project that imports Streamlit.

Each module arranges the widgets of one tab and calls the fashion package for everything else.
"""
