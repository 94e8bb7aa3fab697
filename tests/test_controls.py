"""Pause, learning-rate nudges and continued training, in the loop and in the job queue."""
import threading
import time

import pytest
import torch

from conftest import wait_until
from fashion.config import TrainConfig
from fashion.controls import LR_SCALE_BOUNDS, Controls
from fashion.events import StepEvent
from fashion.jobs import DONE, PAUSED, QUEUED, RUNNING, STOPPED, JobQueue, in_this_process
from fashion.train import train

QUICK = TrainConfig(max_steps=12, eval_every=1000, schedule="constant", lr=0.05)
LONG = TrainConfig(epochs=3, eval_every=100_000)


def flat(model) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in model.state_dict().values() if p.is_floating_point()])


def test_pausing_the_loop_waits_and_ends_with_the_same_weights(data):
    plain = list(train(QUICK, data))[-1].model
    controls, events, seen_at = Controls.local(), [], {}
    for event in train(QUICK, data, controls=controls):
        events.append(event)
        if isinstance(event, StepEvent):
            seen_at[event.step] = time.perf_counter()
            if event.step == 4:
                controls.paused.set()
                threading.Timer(1.0, controls.paused.clear).start()
    assert torch.equal(flat(plain), flat(events[-1].model))
    # The second paused counts neither in the elapsed time nor in the ETA.
    steps = {e.step: e for e in events if isinstance(e, StepEvent)}
    wall, counted = seen_at[5] - seen_at[4], steps[5].elapsed_s - steps[4].elapsed_s
    assert wall >= 1.0 and wall - counted > 0.9


def test_a_nudge_scales_the_learning_rate_from_the_next_step(data):
    controls, lrs = Controls.local(), []
    for event in train(QUICK, data, controls=controls):
        if isinstance(event, StepEvent):
            lrs.append(event.lr)
            if event.step == 5:
                controls.scale_lr(0.5)
    assert lrs[:5] == [0.05] * 5 and all(abs(lr - 0.025) < 1e-12 for lr in lrs[5:])


def test_nudges_are_bounded():
    controls = Controls.local()
    for _ in range(20):
        controls.scale_lr(2.0)
    assert controls.lr_scale.value == LR_SCALE_BOUNDS[1]


@pytest.mark.parametrize("schedule", ["onecycle", "cosine"])
def test_a_nudged_run_keeps_its_schedule(data, schedule):
    """The scale multiplies the scheduler's value without feeding back into it (cosine builds on the last
    value): undo the nudge, and the schedule goes on as if there had been none."""
    config = TrainConfig(max_steps=20, eval_every=1000, schedule=schedule)
    plain = [e.lr for e in train(config, data) if isinstance(e, StepEvent)]
    controls, nudged = Controls.local(), []
    for event in train(config, data, controls=controls):
        if isinstance(event, StepEvent):
            nudged.append(event.lr)
            controls.lr_scale.value = 2.0 if event.step == 6 else 1.0
    assert abs(nudged[6] - 2 * plain[6]) < 1e-9
    assert all(abs(a - b) < 1e-9 for a, b in zip(nudged[10:], plain[10:], strict=True))


def test_continued_training_starts_from_the_parents_weights(data):
    parent = list(train(QUICK, data))[-1].model
    first = next(iter(train(TrainConfig(max_steps=1, eval_every=1000), data, start_from=parent.state_dict())))
    fresh = next(iter(train(TrainConfig(max_steps=1, eval_every=1000), data)))
    # One step from the parent's weights: already far better than one step from scratch.
    assert first.loss < fresh.loss - 0.5


def test_a_paused_job_gives_its_slot_to_the_next_and_goes_on_first(data):
    queue = JobQueue(in_this_process(lambda: data), max_running=1)
    first = queue.submit(LONG)
    wait_until(lambda: len(first.snapshot().steps) >= 2)
    first.pause()
    assert first.state == PAUSED
    second = queue.submit(LONG)
    wait_until(lambda: second.state == RUNNING)           # the paused job holds no slot
    steps = len(first.snapshot().steps)
    first.resume()
    assert first.snapshot().resuming and first.snapshot().position == 1   # first in line, behind the runner
    third = queue.submit(QUICK)
    assert third.snapshot().position == 2 and third.state == QUEUED
    wait_until(lambda: len(second.snapshot().steps) >= 3)
    assert len(first.snapshot().steps) <= steps + 1     # it did not train while paused
    second.stop()
    wait_until(lambda: first.state == RUNNING)
    wait_until(lambda: len(first.snapshot().steps) > steps + 2)
    first.stop()
    wait_until(lambda: third.finished, timeout=180)
    assert (first.state, second.state, third.state) == (STOPPED, STOPPED, DONE)
    assert queue.running() == 0 and queue.waiting() == 0


def test_stopping_a_paused_job_ends_it(data):
    queue = JobQueue(in_this_process(lambda: data))
    job = queue.submit(LONG)
    wait_until(lambda: len(job.snapshot().steps) >= 2)
    job.pause()
    job.stop()
    wait_until(lambda: job.finished)
    assert job.state == STOPPED and job.result.stopped


def test_a_paused_job_whose_pages_are_gone_is_stopped(data):
    alive = threading.Event()
    alive.set()
    queue = JobQueue(in_this_process(lambda: data))
    job = queue.submit(LONG, alive=alive.is_set)
    wait_until(lambda: len(job.snapshot().steps) >= 2)
    job.pause()
    alive.clear()
    wait_until(lambda: job.finished, timeout=30)
    assert job.result.stopped


def test_nudges_are_recorded_with_their_step(data):
    queue = JobQueue(in_this_process(lambda: data))
    job = queue.submit(LONG)
    wait_until(lambda: len(job.snapshot().steps) >= 2)
    job.nudge(2.0)
    wait_until(lambda: len(job.snapshot().steps) >= 6)
    job.stop()
    wait_until(lambda: job.finished)
    snap = job.snapshot()
    (step, factor), = snap.nudges
    assert factor == 2.0 and step >= 2
    assert abs(snap.lrs[-1] / snap.lrs[step - 1] - 2.0) < 0.5    # onecycle still moves it a little


def test_the_sweep_covers_the_range_and_suggests_a_tenth_of_the_lowest_point():
    from fashion.lr_finder import suggest, sweep_rates

    rates = sweep_rates(1e-4, 1.0, 5)
    assert rates[0] == 1e-4 and abs(rates[-1] - 1.0) < 1e-9 and abs(rates[2] - 1e-2) < 1e-9
    assert abs(suggest(rates, [2.3, 2.2, 1.5, 0.9, 3.0]) - rates[3] / 10) < 1e-12
    assert suggest(rates, [2.3, 2.4, 2.6, 3.0, 5.0]) is None          # it never fell: no suggestion


def test_the_finder_sweeps_until_the_loss_climbs_and_its_suggestion_trains(data):
    from fashion.events import SweepDone
    from fashion.lr_finder import find_lr

    events = list(find_lr(TrainConfig(), data, steps=60))
    done = events[-1]
    assert isinstance(done, SweepDone) and not done.stopped and 10 < len(done.lrs) <= 60
    assert done.lrs == sorted(done.lrs) and [e.lr for e in events[:-1]] == done.lrs
    assert done.suggested is not None and done.lrs[0] < done.suggested < done.lrs[-1]
    assert min(done.losses) < 0.8 * done.losses[0]


def test_a_sweep_runs_in_the_queue_as_a_job_and_keeps_nothing(data):
    from fashion.events import SweepDone
    from fashion.jobs import LR_SWEEP, kept

    queue = JobQueue(in_this_process(lambda: data))
    job = queue.submit(TrainConfig(), kind=LR_SWEEP)
    wait_until(lambda: job.finished)
    snap = job.snapshot()
    assert snap.state == DONE and isinstance(snap.result, SweepDone) and snap.lrs == snap.result.lrs
    assert not kept(snap)                 # a sweep is no run for the history
