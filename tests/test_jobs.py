"""The job queue without Streamlit: limits, order, stop, cancellation, abandoned sessions."""
import threading

import pytest

from conftest import wait_until
from fashion.config import TrainConfig
from fashion.jobs import CANCELLED, DONE, RUNNING, STOPPED, JobQueue, in_this_process

QUICK = TrainConfig(max_steps=8, eval_every=1000)
LONG = TrainConfig(epochs=1, eval_every=1000)   # ~234 steps: long enough to be stopped part-way


@pytest.fixture
def queue(data):
    return JobQueue(in_this_process(lambda: data), max_running=1)


def test_a_job_trains_and_records_progress(queue):
    job = queue.submit(QUICK)
    wait_until(lambda: job.finished)
    snap = job.snapshot()
    assert snap.state == DONE and snap.steps == list(range(1, 9)) and len(snap.losses) == 8
    assert snap.result is not None and 0 <= snap.result.report.accuracy <= 1


def test_queue_holds_its_limit_and_keeps_order(queue):
    first = queue.submit(LONG)
    second = queue.submit(QUICK)
    wait_until(lambda: first.state == RUNNING)
    assert second.snapshot().position == 1 and second.state != RUNNING   # "waiting: 1 run ahead"
    third = queue.submit(QUICK)
    assert third.snapshot().position == 2
    assert queue.running() == 1 and queue.waiting() == 2
    first.stop()
    wait_until(lambda: third.finished)
    assert first.state == STOPPED and second.state == DONE and third.state == DONE
    assert queue.running() == 0 and queue.waiting() == 0


def test_stop_takes_effect_within_a_batch(queue):
    job = queue.submit(LONG)
    wait_until(lambda: len(job.snapshot().steps) >= 2)
    job.stop()
    steps_at_stop = job.snapshot().steps[-1]
    wait_until(lambda: job.finished)
    assert job.state == STOPPED and job.result.step <= steps_at_stop + 1


def test_cancelling_a_waiting_job_frees_its_place(queue):
    first = queue.submit(LONG)
    waiting = queue.submit(QUICK)
    wait_until(lambda: first.state == RUNNING)
    waiting.stop()
    wait_until(lambda: waiting.finished)
    assert waiting.state == CANCELLED and waiting.result is None
    first.stop()
    wait_until(lambda: first.finished)


def test_a_job_whose_session_is_gone_is_cancelled(queue):
    alive = threading.Event()
    alive.set()
    job = queue.submit(LONG, alive=alive.is_set)
    wait_until(lambda: len(job.snapshot().steps) >= 2)
    alive.clear()   # the browser tab closed
    wait_until(lambda: job.finished)
    assert job.state == CANCELLED and job.result.stopped and job.result.step < 234
    assert queue.running() == 0


def test_bad_settings_are_refused_at_submit(queue):
    with pytest.raises(ValueError):
        queue.submit(TrainConfig(epochs=0))
    assert queue.waiting() == 0


def test_leaving_the_process_stops_a_running_job_first():
    """As Streamlit's server exits on SIGTERM: the job is stopped and its worker let go before shutdown."""
    import subprocess
    import sys

    from conftest import ROOT

    code = """if True:
        import atexit, time
        from fashion.config import TrainConfig
        from fashion.data import load_fashion_mnist
        from fashion.jobs import JobQueue, in_this_process
        data = load_fashion_mnist()
        queue = JobQueue(in_this_process(lambda: data))
        job = queue.submit(TrainConfig(epochs=5, eval_every=100_000))
        atexit.register(lambda: print("at exit the job was", job.state, flush=True))  # runs last
        queue.stop_at_exit()
        while len(job.snapshot().steps) < 3:
            time.sleep(0.05)
    """
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={"PYTHONPATH": str(ROOT), "FASHION_TORCH_THREADS": "1"})
    assert result.returncode == 0 and "terminate called" not in result.stderr, result.stderr
    assert result.stdout.strip() == "at exit the job was stopped"
