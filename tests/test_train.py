import threading

import pytest
import torch

from fashion.config import TrainConfig
from fashion.events import DoneEvent, EvalEvent, StepEvent
from fashion.train import train


def run(config, data, stop=None, stop_after=None):
    events = []
    for event in train(config, data, stop):
        events.append(event)
        if stop_after and isinstance(event, StepEvent) and event.step == stop_after:
            stop.set()
    return events


def test_short_run_learns_clearly_better_than_chance(data):
    events = run(TrainConfig(max_steps=80, eval_every=40), data)
    steps = [e for e in events if isinstance(e, StepEvent)]
    evals = [e for e in events if isinstance(e, EvalEvent)]
    done = events[-1]
    assert [e.step for e in steps] == list(range(1, 81))
    assert [e.step for e in evals] == [40, 80]
    first, last = sum(e.loss for e in steps[:10]) / 10, sum(e.loss for e in steps[-10:]) / 10
    assert last < 0.7 * first
    assert isinstance(done, DoneEvent) and not done.stopped
    assert done.report.accuracy > 0.6          # chance is 0.1
    assert len(done.report.per_class) == 10
    assert sum(map(sum, done.report.confusion)) == 10_000
    assert all(e.images_per_s > 0 and e.eta_s >= 0 and 0 < e.lr for e in steps)


def test_stop_flag_ends_the_run_within_one_batch(data):
    stop = threading.Event()
    events = run(TrainConfig(epochs=1, eval_every=1000), data, stop, stop_after=3)
    done = events[-1]
    assert isinstance(done, DoneEvent) and done.stopped and done.step == 3
    assert max(e.step for e in events if isinstance(e, StepEvent)) == 3
    assert done.model(torch.rand(1, 1, 28, 28)).shape == (1, 10)   # a stopped run still gives a usable model


def test_same_seed_same_model(data):
    def weights(seed):
        done = run(TrainConfig(max_steps=5, eval_every=1000, seed=seed), data)[-1]
        return torch.cat([p.flatten() for p in done.model.parameters()])

    assert torch.equal(weights(1), weights(1))
    assert not torch.equal(weights(1), weights(2))


@pytest.mark.parametrize("bad", [
    dict(epochs=0), dict(epochs=10_000), dict(batch_size=0), dict(lr=0.0), dict(lr=float("nan")),
    dict(lr=50.0), dict(arch="nope"), dict(optimizer="rmsprop"), dict(schedule="zigzag"), dict(seed=-1),
    dict(erase=1.5),
])
def test_out_of_bounds_settings_are_refused_in_the_package(bad, data):
    with pytest.raises(ValueError):
        next(train(TrainConfig(**bad), data))
