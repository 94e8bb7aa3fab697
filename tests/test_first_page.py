"""The app draws its first page before PyTorch loads: the warm-up's first stage, which the Train tab waits
for, stays free of torch."""
import subprocess
import sys

from conftest import ROOT


def test_the_first_page_imports_no_torch():
    code = ("import sys\nimport streamlit\nfrom fashion.ui import warm_up\nwarm_up.import_all(warm_up.PAGE_MODULES)\n"
            "print('torch' in sys.modules)")
    # A fresh interpreter: this one has torch loaded already, by conftest.
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False"], "torch was imported by one of warm_up.PAGE_MODULES"
