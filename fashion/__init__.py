"""Fashion-MNIST: data, small CNNs, live training, evaluation and classification of photos and sketches.

This package never imports Streamlit; the app's UI lives in `fashion.ui`.
"""
from fashion.classes import CLASS_NAMES, CLASS_SLUGS, NUM_CLASSES

__all__ = ["CLASS_NAMES", "CLASS_SLUGS", "NUM_CLASSES"]
