import os
import sys
import tempfile
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ROOT.parent / "shared" / "photos"
sys.path.insert(0, str(ROOT))

# Tests share two cores with whatever else runs; a fixed thread count keeps results repeatable.
# The app would otherwise leave a core free (fashion.jobs.share_cores) for the whole process.
os.environ.setdefault("FASHION_TORCH_THREADS", "2")
torch.set_num_threads(2)
# The app keeps finished runs on disk; the tests' runs go to a folder of their own, gone after the tests.
RUN_STORE = tempfile.TemporaryDirectory(prefix="fashion-test-runs-")
os.environ["FASHION_RUN_STORE"] = RUN_STORE.name


@pytest.fixture(scope="session")
def data():
    from fashion.data import load_fashion_mnist

    return load_fashion_mnist()


@pytest.fixture
def shared_built():
    """What the server's warm-up thread builds at start (fashion.ui.warm_up), built before an AppTest runs,
    so its first run draws the Mistakes tab rather than its "in a moment" note."""
    from fashion.ui import state

    state.shipped_test_probs()


@pytest.fixture(scope="session")
def photos() -> Path:
    if not PHOTOS.is_dir():
        pytest.skip(f"{PHOTOS} is not here")
    return PHOTOS


def wait_until(condition, timeout: float = 120.0) -> None:
    """Poll `condition` until it holds; fail the test if it does not within `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def run_cli(*args: str, timeout: int = 300):
    """Run `python -m fashion ...` as a user would, from the project folder."""
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "fashion", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
