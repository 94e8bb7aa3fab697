"""Training in a process of its own, its progress events streamed back.

A training job run in a thread of the app's server shares the server's interpreter lock with every page
and photo of every session; in a worker process it holds none of it. Workers are started with `spawn` (a
fresh interpreter: nothing of the server's threads and locks is copied, as `fork` would). Getting one
ready (PyTorch's import, the dataset) takes 3-5 s on two cores, so workers live on: the server starts one,
and a worker that has finished a job waits for the next. A worker that dies, killed or out of memory,
ends its job with a sentence, and the next job starts a new one.
"""
from __future__ import annotations

import io
import multiprocessing
import queue
import threading
from collections.abc import Iterator
from dataclasses import replace
from multiprocessing import spawn
from pathlib import Path
from typing import TYPE_CHECKING

from fashion.controls import Controls
from fashion.data import DataError, find_data_dir
from fashion.events import DoneEvent, Event, SweepDone

if TYPE_CHECKING:
    from fashion.jobs import TrainingJob

SPAWN = multiprocessing.get_context("spawn")
POLL_S = 0.2              # how often the parent looks at the stop flag and at whether the worker still lives
LAST_WORDS_S = 2.0        # after a worker exits, how long its last events may take to arrive


class WorkerFailed(Exception):
    """The worker process ended without finishing its job; the message is a sentence for the person."""


class Worker:
    """A process that loads PyTorch and puts the dataset on its device at once, then trains the jobs it is
    given, one by one. `device` is a name for fashion.devices.choose (None: FASHION_DEVICE's, or the best)."""

    def __init__(self, folder: Path, threads: int, device: str | None):
        self.kind = (folder, threads, device)
        self.jobs, self.events, self.stop = SPAWN.Queue(), SPAWN.Queue(), SPAWN.Event()
        self.controls = Controls.shared(SPAWN)     # the job's pause and learning-rate scale, copied in
        self.process = SPAWN.Process(target=work, args=(*self.kind, self.jobs, self.events, self.stop,
                                                        self.controls),
                                     daemon=True, name="fashion-training")
        start_without_main(self.process)

    def suits(self, folder: Path, threads: int, device: str | None) -> bool:
        return self.process.is_alive() and self.kind == (folder, threads, device)

    def end(self) -> None:
        self.stop.set()
        self.jobs.put(None)           # no more jobs
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.jobs.close()
        self.events.close()


_start_lock = threading.Lock()     # one start at a time swaps spawn's function and puts it back


def start_without_main(process) -> None:
    """Start a spawned process without running the parent's main script in it. Spawn hands the child that
    script to run, to find what was defined there; under `streamlit run app.py` it is the whole app, which
    fails there. Hiding it in `sys.modules` is not enough: every script run of every session sets
    `__main__` anew, and one landing during a start handed the app to the worker, which died before its
    job began (seen once in a fresh-clone CI run). So the script is left out of what spawn hands the child."""
    with _start_lock:
        prepare = spawn.get_preparation_data
        spawn.get_preparation_data = lambda name: without_main(prepare(name))
        try:
            process.start()
        finally:
            spawn.get_preparation_data = prepare


def without_main(preparation: dict) -> dict:
    return {key: value for key, value in preparation.items()
            if key not in ("init_main_from_path", "init_main_from_name")}


# Workers waiting for a job. A job takes one (or starts one) and gives it back when it ends well: with one
# job at a time, one worker, started with the server, trains every run.
_idle: list[Worker] = []
_idle_lock = threading.Lock()


def take_worker(folder: Path, threads: int, device: str | None) -> Worker:
    with _idle_lock:
        while _idle:
            worker = _idle.pop()
            if worker.suits(folder, threads, device):
                return worker
            worker.end()
    return Worker(folder, threads, device)


def give_back(worker: Worker) -> None:
    worker.stop.clear()
    worker.controls.reset()
    with _idle_lock:
        _idle.append(worker)


def prepare(threads: int, device: str | None) -> None:
    """Start a worker now (the server does at start), so that the first job starts at once too."""
    give_back(take_worker(find_data_dir(), threads, device))


def train_in_worker(job: TrainingJob, threads: int, device: str | None) -> Iterator[Event]:
    """The events of `fashion.train.train(job.config, ...)`, run in a worker process with `threads` torch
    threads on `device`, its live strip showing the job's own image too (fashion.live). The job's stop flag
    and controls reach the worker as they reach the loop."""
    folder = find_data_dir()          # no data: the sentence comes at once, before any process starts
    worker = take_worker(folder, threads, device)
    worker.jobs.put((job.kind, job.config, job.own_image, job.parent and job.parent.model_file))
    finished = False
    try:
        while True:
            job.controls.copy_to(worker.controls)
            if job.stop_event.is_set():
                worker.stop.set()
            kind, payload = next_message(worker.events, worker.process)
            if kind == "none":
                continue
            if kind == "event":
                yield payload
            elif kind == "done":
                finished = True
                yield unpack(payload)
                return
            elif kind == "data":
                raise DataError(payload)
            else:
                raise WorkerFailed(payload)
    finally:
        if finished:
            give_back(worker)       # it waits for the next job
        else:
            worker.end()            # left part-way, it may still be sending


def next_message(events, process) -> tuple[str, object]:
    """The worker's next (kind, payload), ("none", None) if it has nothing yet; WorkerFailed if it died."""
    try:
        return events.get(timeout=POLL_S)
    except queue.Empty:
        if process.is_alive():
            return "none", None
    try:                              # it has exited: whatever it sent last may still be on its way
        return events.get(timeout=LAST_WORDS_S)
    except queue.Empty:
        raise WorkerFailed(f"The training process ended unexpectedly (exit code {process.exitcode}), "
                           "perhaps out of memory. Try a smaller model or batch size.") from None


def work(folder: Path, threads: int, device: str | None, jobs, events, stop, controls: Controls) -> None:
    """The worker process: get ready, then train each job it is given, sending each event back."""
    from fashion.data import load_fashion_mnist
    from fashion.devices import choose
    from fashion.jobs import run_job
    from fashion.model import configure_cpu

    configure_cpu(threads)
    try:
        where = choose(device)
        data = load_fashion_mnist(folder).to(where)
        while (job := next_job(jobs)) is not None:
            kind, config, own, parent_file = job
            for event in run_job(kind, config, data, stop, where, own, controls, parent_file):
                if not server_alive():
                    break
                events.put(("done", pack(event)) if isinstance(event, DoneEvent | SweepDone) else ("event", event))
        if not server_alive():
            events.cancel_join_thread()      # nobody reads them any more: exit without waiting to send them
    except DataError as e:
        events.put(("data", str(e)))
    except Exception as e:                # the parent turns it into a failed run with this sentence
        events.put(("failed", f"Training failed: {type(e).__name__}: {e}"))


def server_alive() -> bool:
    """Whether the process that started this worker still lives. A server that was killed (SIGKILL, a
    crash) never sends the None that ends its workers: each would go on holding its 0.6 GB for nothing."""
    parent = multiprocessing.parent_process()
    return parent is None or parent.is_alive()


def next_job(jobs):
    """The next job; None when there are no more, or no server left to train for."""
    while server_alive():
        try:
            return jobs.get(timeout=POLL_S)
        except queue.Empty:
            pass
    return None


def pack(done: DoneEvent | SweepDone) -> DoneEvent | SweepDone:
    """The model as its architecture (a name, and a custom design's spec) and saved weights: tensors sent
    through a queue would be shared memory that vanishes with the worker. A sweep has no model."""
    import torch

    if isinstance(done, SweepDone):
        return done

    buffer = io.BytesIO()
    torch.save({name: t.cpu() for name, t in done.model.state_dict().items()}, buffer)
    return replace(done, model=(done.model.arch, done.model.spec, buffer.getvalue()))


def unpack(done: DoneEvent | SweepDone) -> DoneEvent | SweepDone:
    import torch

    if isinstance(done, SweepDone):
        return done

    from fashion.model import build_model

    arch, spec, weights = done.model
    model = build_model(arch, spec=spec)
    model.load_state_dict(torch.load(io.BytesIO(weights), weights_only=True))
    return replace(done, model=model.eval())
