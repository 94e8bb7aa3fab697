"""The app draws its first page before PyTorch loads: what app.py imports above its torch section stays light."""
import subprocess
import sys

from conftest import ROOT

# app.py's imports before it pauses for torch, and what they bring in.
FIRST_PAGE = ["streamlit", "fashion.ui.state", "fashion.ui.train_tab", "fashion.config", "fashion.jobs",
              "fashion.events"]


def test_the_first_page_imports_no_torch():
    code = f"import sys\nfor name in {FIRST_PAGE!r}:\n    __import__(name)\nprint('torch' in sys.modules)"
    # A fresh interpreter: this one has torch loaded already, by conftest.
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False"], "torch was imported by " + " or ".join(FIRST_PAGE)
