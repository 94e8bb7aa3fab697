"""Background training jobs and the process-wide queue that limits how many train at once.

Each job has a thread that never touches the UI: it waits for its turn, runs the queue's trainer (in the
app, a worker process of its own: fashion.workers) and records its events. The UI polls `job.snapshot()`.
The queue is shared by every browser session of one server process, so a single two-core machine stays
usable: by default one job trains while the others wait their turn. A paused job gives its slot to the
next in line (its worker waits, using no CPU) and, on resume, is first in line for the next free slot.
"""
from __future__ import annotations

import atexit
import itertools
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fashion.config import TrainConfig
from fashion.controls import Controls
from fashion.events import DoneEvent, EvalEvent, Event, StepEvent, SweepDone

if TYPE_CHECKING:
    import numpy as np

    from fashion.data import FashionMNIST


# What trains a job: the job (its config, stop flag, controls, parent's weights and the person's own
# image for the live strip) in, the training loop's events out.
Trainer = Callable[["TrainingJob"], Iterator[Event]]


def in_this_process(load_data: Callable[[], FashionMNIST]) -> Trainer:
    """Train in the job's thread, on data already in memory (tests, scripts)."""
    def trainer(job: TrainingJob) -> Iterator[Event]:
        return run_job(job.kind, job.config, load_data(), job.stop_event, None, job.own_image, job.controls,
                       job.parent and job.parent.model_file)
    return trainer


def run_job(kind: str, config: TrainConfig, data: FashionMNIST, stop: threading.Event, device=None,
            own_image=None, controls: Controls | None = None, parent_file: bytes | None = None) -> Iterator[Event]:
    """A job's events, in this thread or in a worker: a learning-rate sweep, or a training run (from the
    parent run's weights, a model file, when it continues one) whose live strip shows the person's own image too."""
    # Imported here, not at the top: the app shows its controls before torch loads.
    from fashion.live import live_probes
    from fashion.lr_finder import find_lr
    from fashion.train import train
    from fashion.weights import weights_of

    if kind == LR_SWEEP:
        return find_lr(config, data, stop, device)
    return train(config, data, stop, device, live_probes(data.test_images, own_image), controls,
                 weights_of(parent_file))


def in_worker_processes(threads: int, device: str | None = None) -> Trainer:
    """Train each job in a worker process (reused from job to job) with `threads` torch threads on `device`
    (a name for fashion.devices.choose; None: FASHION_DEVICE's, or the best there is), out of the caller's
    interpreter lock."""
    def trainer(job: TrainingJob) -> Iterator[Event]:
        from fashion.workers import train_in_worker

        return train_in_worker(job, threads, device)
    return trainer


def spare_cores() -> int:
    """All cores but one: that one stays free for the server and for classifying while a session trains."""
    return max(1, (os.cpu_count() or 1) - 1)


def threads_per_job(max_running: int) -> int:
    """The spare cores shared among the jobs that may train at once."""
    return max(1, spare_cores() // max_running)


def share_cores() -> int:
    """Give torch all cores but one (FASHION_TORCH_THREADS overrides): one stays free for the server and
    for classifying while a session trains. Returns the number of threads."""
    from fashion.model import configure_cpu

    threads = int(os.environ.get("FASHION_TORCH_THREADS", spare_cores()))
    configure_cpu(threads)
    return threads


TRAINING, LR_SWEEP = "training", "lr sweep"            # what a job does: fashion.train or fashion.lr_finder
QUEUED, RUNNING, PAUSED = "queued", "running", "paused"
DONE, STOPPED, CANCELLED, FAILED = "done", "stopped", "cancelled", "failed"
FINISHED = (DONE, STOPPED, CANCELLED, FAILED)


@dataclass(frozen=True)
class Parent:
    """The run a continued training starts from: its weights, and where on the epoch axis it ended."""
    number: int                      # its run number ("Run 3")
    model_file: bytes                # safetensors: the weights to start from
    epoch: float                     # epochs it had trained, its own parents' included


@dataclass
class Snapshot:
    """A consistent copy of a job's progress for drawing; the lists are copies, safe to keep."""
    state: str
    position: int                    # jobs that will train before this one (0 when running or finished)
    latest: StepEvent | None
    steps: list[int]
    losses: list[float]
    train_accuracy: list[float]
    lrs: list[float]                 # the learning rate of each step, nudges included
    evals: list[EvalEvent]
    result: DoneEvent | SweepDone | None
    error: str | None
    nudges: list[tuple[int, float]]  # (step, factor) of each learning-rate nudge, for marks on the curves
    resuming: bool = False           # paused, and waiting for a free slot to go on


def kept(snap: Snapshot) -> bool:
    """Whether a finished job becomes a run in the history: not if it failed, was cancelled, or was
    stopped before its first evaluation (a storm of Start and Stop would fill the history with those)."""
    return snap.result is not None and snap.state not in (FAILED, CANCELLED) and bool(snap.evals)


@dataclass(eq=False)   # compared by identity: jobs live in sets and queues
class TrainingJob:
    config: TrainConfig
    # Each page showing the job says whether it is still open; with none left open, the job is abandoned.
    watchers: list[Callable[[], bool]] = field(default_factory=list)
    owner: str | None = None                 # the person it trains for (the app's id in the page's URL)
    own_image: np.ndarray | None = None      # their last Classify input, shown in the live strip
    parent: Parent | None = None             # continued training: the run it goes on from
    kind: str = TRAINING                     # or LR_SWEEP: a learning-rate finder's sweep, not a run
    id: int = field(default_factory=itertools.count(1).__next__)
    state: str = QUEUED
    stop_event: threading.Event = field(default_factory=threading.Event)
    controls: Controls = field(default_factory=Controls.local)
    resuming: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _latest: StepEvent | None = None
    _steps: list = field(default_factory=list)
    _losses: list = field(default_factory=list)
    _train_accuracy: list = field(default_factory=list)
    _lrs: list = field(default_factory=list)
    _nudges: list = field(default_factory=list)
    _evals: list = field(default_factory=list)
    result: DoneEvent | SweepDone | None = None
    error: str | None = None
    queue: JobQueue | None = None

    def alive(self) -> bool:
        """False once every page that showed it has gone (a job nobody watches is never abandoned)."""
        with self._lock:
            watchers = list(self.watchers)
        return not watchers or any(watcher() for watcher in watchers)

    def watch(self, alive: Callable[[], bool]) -> None:
        """One more page shows this job: a reloaded page, or a second tab of the same person."""
        with self._lock:
            self.watchers.append(alive)

    def stop(self) -> None:
        """Ask the job to stop; a running job stops before its next batch, a queued one never starts."""
        self.stop_event.set()
        if self.queue is not None:
            self.queue.wake()

    def pause(self) -> None:
        """Pause before the next batch; the queue gives the slot to the next job in line."""
        if self.state == RUNNING and self.queue is not None:
            self.queue.pause(self)

    def resume(self) -> None:
        """Go on where it paused, as soon as a slot is free (at once if none waits)."""
        if self.state == PAUSED and self.queue is not None:
            self.queue.resume(self)

    def nudge(self, factor: float) -> None:
        """Scale the learning rate by `factor` from the next batch on (within fashion.controls' bounds)."""
        with self._lock:
            before = self.controls.lr_scale.value
            if self.controls.scale_lr(factor) != before:
                self._nudges.append((self._latest.step if self._latest else 0, factor))

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    def record(self, event) -> None:
        with self._lock:
            if isinstance(event, StepEvent):
                self._latest = event
                self._steps.append(event.step)
                self._losses.append(event.loss)
                self._train_accuracy.append(event.train_accuracy)
                self._lrs.append(event.lr)
            elif isinstance(event, EvalEvent):
                self._evals.append(event)
            elif isinstance(event, DoneEvent | SweepDone):
                self.result = event

    def snapshot(self) -> Snapshot:
        position = self.queue.position(self) if self.queue is not None else 0
        with self._lock:
            return Snapshot(self.state, position, self._latest, list(self._steps), list(self._losses),
                            list(self._train_accuracy), list(self._lrs), list(self._evals), self.result,
                            self.error, list(self._nudges), self.resuming)


class JobQueue:
    """At most `max_running` jobs train at once; later ones wait in order and can be cancelled.

    `on_finish(job)` runs in the job's thread when its training has ended (done or stopped, not failed or
    cancelled), before the job says it is finished: the app keeps the run there, watched or not."""

    def __init__(self, trainer: Trainer, max_running: int = 1,
                 on_finish: Callable[[TrainingJob], None] | None = None):
        self.trainer = trainer
        self.max_running = max_running
        self.on_finish = on_finish
        self._cond = threading.Condition()
        self._waiting: deque[TrainingJob] = deque()
        self._running: set[TrainingJob] = set()
        self._paused: set[TrainingJob] = set()       # hold no slot; their worker waits

    def submit(self, config: TrainConfig, alive: Callable[[], bool] | None = None, owner: str | None = None,
               own_image: np.ndarray | None = None, parent: Parent | None = None,
               kind: str = TRAINING) -> TrainingJob:
        """Queue a run of `config`, from the weights of `parent` if given (continued training); or, with
        kind LR_SWEEP, a learning-rate sweep of its model, optimizer and batch size."""
        config.validate()   # refuse bad settings now, in the caller's thread, not later in the worker
        job = TrainingJob(config, [alive] if alive else [], owner, own_image, parent, kind, queue=self)
        with self._cond:
            self._waiting.append(job)
        threading.Thread(target=self._work, args=(job,), name=f"training-job-{job.id}", daemon=True).start()
        return job

    def position(self, job: TrainingJob) -> int:
        """How many jobs train before this one: those running now plus those ahead of it in the queue."""
        with self._cond:
            return len(self._running) + self._waiting.index(job) if job in self._waiting else 0

    def job_of(self, owner: str) -> TrainingJob | None:
        """The owner's job that waits or trains now, if any: for a reloaded page to show it again."""
        with self._cond:
            return next((job for job in [*self._running, *self._paused, *self._waiting]
                         if job.owner == owner and not job.finished), None)

    def running(self) -> int:
        with self._cond:
            return len(self._running)

    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)

    def stop_all(self, timeout: float = 30.0) -> None:
        """Stop every job and wait for the worker threads to let go (server shutdown, tests)."""
        with self._cond:
            jobs = [*self._waiting, *self._running, *self._paused]
        for job in jobs:
            job.stop()
        deadline = time.monotonic() + timeout
        with self._cond:
            while (self._waiting or self._running or self._paused) and time.monotonic() < deadline:
                self._cond.wait(timeout=0.1)

    def stop_at_exit(self) -> None:
        """Stop every job when the process exits (Streamlit exits so on SIGTERM): a worker thread still
        inside torch while the interpreter shuts down ended once in "terminate called without an active
        exception"."""
        atexit.register(self.stop_all)

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def pause(self, job: TrainingJob) -> None:
        with self._cond:
            if job not in self._running:
                return
            job.controls.paused.set()
            self._running.discard(job)
            self._paused.add(job)
            job.state = PAUSED
            self._cond.notify_all()          # the next in line may start
        threading.Thread(target=self._while_paused, args=(job,), name=f"paused-job-{job.id}", daemon=True).start()

    def resume(self, job: TrainingJob) -> None:
        with self._cond:
            if job in self._paused and not job.resuming:
                job.resuming = True
                self._waiting.appendleft(job)    # it trained first: it goes on first
                self._cond.notify_all()

    def _while_paused(self, job: TrainingJob) -> None:
        """Until a paused job goes on: take a free slot once it asks to resume; stop it if its pages are gone."""
        with self._cond:
            while True:
                if job.stop_event.is_set() or not job.alive():
                    job.stop_event.set()         # the worker leaves its pause and ends the run, stopped
                    if job in self._waiting:
                        self._waiting.remove(job)
                    job.resuming = False
                    self._cond.notify_all()
                    return
                if job.resuming and self._waiting[0] is job and len(self._running) < self.max_running:
                    self._waiting.popleft()
                    self._paused.discard(job)
                    self._running.add(job)
                    job.state, job.resuming = RUNNING, False
                    job.controls.paused.clear()
                    return
                self._cond.wait(timeout=1.0)

    def _wait_for_slot(self, job: TrainingJob) -> bool:
        """Block until it is this job's turn; False if it was cancelled while waiting."""
        with self._cond:
            while True:
                if job.stop_event.is_set() or not job.alive():
                    self._waiting.remove(job)
                    job.state = CANCELLED
                    self._cond.notify_all()
                    return False
                if self._waiting[0] is job and len(self._running) < self.max_running:
                    self._waiting.popleft()
                    self._running.add(job)
                    job.state = RUNNING
                    return True
                self._cond.wait(timeout=1.0)   # also wakes to re-check alive()

    def _work(self, job: TrainingJob) -> None:
        from fashion.data import DataError
        from fashion.workers import WorkerFailed

        if not self._wait_for_slot(job):
            return
        try:
            for event in self.trainer(job):
                job.record(event)
                if not job.alive():
                    job.stop_event.set()   # nobody is watching: stop burning the CPU
            gone = not job.alive()
            if not gone and self.on_finish is not None:
                self.on_finish(job)
            job.state = CANCELLED if gone else STOPPED if job.result.stopped else DONE
        except (DataError, WorkerFailed) as e:   # no data, or a worker that died: a sentence for the person
            job.error, job.state = str(e), FAILED
        except Exception as e:   # a failed job must free its slot and say why, never kill the server
            job.error = f"{type(e).__name__}: {e}"
            job.state = FAILED
        finally:
            with self._cond:
                self._running.discard(job)
                self._paused.discard(job)
                if job in self._waiting:
                    self._waiting.remove(job)
                self._cond.notify_all()
