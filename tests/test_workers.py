"""Training in worker processes, as the app does: events back, stop, a dead worker, no data."""
import os
import signal
import sys
import time
import types

import pytest

from conftest import wait_until
from fashion.config import TrainConfig
from fashion.jobs import DONE, FAILED, STOPPED, JobQueue, Parent, in_worker_processes
from fashion.model import FashionCNN
from fashion.workers import SPAWN, start_without_main

QUICK = TrainConfig(max_steps=8, eval_every=1000)
LONG = TrainConfig(epochs=5, eval_every=100_000)


@pytest.fixture
def queue():
    queue = JobQueue(in_worker_processes(threads=1))
    yield queue
    queue.stop_all()


def training_processes() -> list:
    import multiprocessing

    return [p for p in multiprocessing.active_children() if p.name == "fashion-training"]


def test_a_job_trains_in_its_own_process_and_comes_back_with_its_model(queue):
    job = queue.submit(QUICK)
    wait_until(lambda: job.finished, timeout=180)
    snap = job.snapshot()
    assert snap.state == DONE and snap.steps == list(range(1, 9)), snap.error
    assert isinstance(snap.result.model, FashionCNN) and 0 <= snap.result.report.accuracy <= 1
    assert all(p.pid != os.getpid() for p in training_processes())


def test_stop_reaches_the_worker(queue):
    job = queue.submit(LONG)
    wait_until(lambda: len(job.snapshot().steps) >= 3, timeout=180)
    job.stop()
    wait_until(lambda: job.finished, timeout=60)
    snap = job.snapshot()
    assert snap.state == STOPPED and snap.result.stopped and snap.result.step < 1000


def test_a_worker_that_dies_is_a_failed_run_with_a_sentence(queue):
    job = queue.submit(LONG)
    wait_until(lambda: len(job.snapshot().steps) >= 3, timeout=180)
    busy = [p for p in training_processes() if p.pid is not None]
    for process in busy:       # the one training, and the one made ready for the next job
        os.kill(process.pid, signal.SIGKILL)
    wait_until(lambda: job.finished, timeout=60)
    snap = job.snapshot()
    assert snap.state == FAILED and "ended unexpectedly" in snap.error and "exit code -9" in snap.error
    after = queue.submit(QUICK)          # the queue goes on, with a new worker
    wait_until(lambda: after.finished, timeout=180)
    assert after.snapshot().state == DONE


def test_a_worker_ends_when_its_server_is_killed():
    """A server that dies without a word (SIGKILL, a crash) leaves no worker behind holding its memory."""
    import subprocess
    import sys

    server = subprocess.Popen([sys.executable, "-c", "import time\n"
                               "from fashion.workers import take_worker\n"
                               "from fashion.data import find_data_dir\n"
                               "worker = take_worker(find_data_dir(), 1, 'cpu')\n"
                               "print(worker.process.pid, flush=True)\n"
                               "time.sleep(600)\n"], stdout=subprocess.PIPE, text=True)
    worker = int(server.stdout.readline())

    def loaded() -> bool:                # PyTorch and the dataset in memory: waiting for its first job
        status = open(f"/proc/{worker}/status").read()
        return int(status.split("VmRSS:")[1].split()[0]) > 400_000

    def gone() -> bool:
        try:
            return open(f"/proc/{worker}/stat").read().split(") ")[1][0] == "Z"    # a zombie, not reaped
        except FileNotFoundError:
            return True

    try:
        wait_until(loaded, timeout=120)
        time.sleep(1)
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        wait_until(gone, timeout=60)
    finally:
        if not gone():
            os.kill(worker, signal.SIGKILL)


def test_without_data_the_run_fails_at_once_with_the_sentence(queue, monkeypatch, tmp_path):
    from fashion import data

    monkeypatch.setattr(data, "candidate_dirs", lambda: [tmp_path])
    job = queue.submit(QUICK)
    wait_until(lambda: job.finished, timeout=30)
    snap = job.snapshot()
    assert snap.state == FAILED and "Fashion-MNIST was not found" in snap.error


def test_pause_and_nudge_reach_the_worker(queue):
    job = queue.submit(LONG)
    wait_until(lambda: len(job.snapshot().steps) >= 3, timeout=180)
    job.pause()
    time.sleep(1.0)                      # events already on their way still arrive
    steps = len(job.snapshot().steps)
    time.sleep(1.0)
    assert len(job.snapshot().steps) == steps         # the worker waits
    job.nudge(0.5)
    job.resume()
    wait_until(lambda: len(job.snapshot().steps) >= steps + 3, timeout=60)
    job.stop()
    wait_until(lambda: job.finished, timeout=60)
    snap = job.snapshot()
    assert snap.state == STOPPED and snap.nudges == [(steps, 0.5)]
    assert snap.lrs[-1] < 0.6 * snap.lrs[steps - 1]


def test_continued_training_in_a_worker_starts_from_the_parent(queue):
    from fashion.card import new_card
    from fashion.weights import model_bytes

    parent = queue.submit(TrainConfig(max_steps=40, eval_every=1000))
    wait_until(lambda: parent.finished, timeout=180)
    done = parent.snapshot().result
    model_file = model_bytes(done.model, new_card(done.model, parent.config, done.report, False, 1.0, 40))
    child = queue.submit(TrainConfig(max_steps=2, eval_every=1000), parent=Parent(1, model_file, 0.2))
    fresh = queue.submit(TrainConfig(max_steps=2, eval_every=1000))
    wait_until(lambda: fresh.finished, timeout=180)
    assert child.snapshot().losses[0] < fresh.snapshot().losses[0] - 0.5


def test_a_learning_rate_sweep_runs_in_a_worker(queue):
    from fashion.events import SweepDone
    from fashion.jobs import LR_SWEEP

    job = queue.submit(TrainConfig(), kind=LR_SWEEP)
    wait_until(lambda: job.finished, timeout=180)
    snap = job.snapshot()
    assert snap.state == DONE and isinstance(snap.result, SweepDone) and snap.result.suggested is not None


class ScriptRunDuringStart(SPAWN.Process):
    """A process whose start lets a script run set `__main__` to a page first, as another session's would."""

    def __init__(self, page: str):
        super().__init__(daemon=True)
        self.page = page

    def start(self):
        sys.modules["__main__"] = types.ModuleType("__main__")
        sys.modules["__main__"].__file__ = self.page
        super().start()


def test_a_script_run_during_a_worker_start_does_not_hand_the_worker_the_app(tmp_path, monkeypatch):
    """Streamlit sets `__main__` to the page at every script run of every session; one that lands while a
    worker starts must not make the worker run the page."""
    ran = tmp_path / "ran"
    (tmp_path / "page.py").write_text(f"open({str(ran)!r}, 'w').close()\n")
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])    # put back afterwards
    process = ScriptRunDuringStart(str(tmp_path / "page.py"))
    start_without_main(process)
    process.join(timeout=60)
    assert process.exitcode == 0 and not ran.exists()
