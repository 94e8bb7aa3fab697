"""What a finished training becomes: the model scored on the test set, with its card; a run of the app,
kept in the run store; and models trained apart joined into one ensemble, as `train --members` would
have made it."""
from __future__ import annotations

from dataclasses import asdict, replace
from typing import TYPE_CHECKING

from fashion.card import ModelCard, new_card
from fashion.config import TrainConfig
from fashion.data import FashionMNIST
from fashion.evaluate import evaluate
from fashion.model import Model, join_members
from fashion.run_store import StoredRun
from fashion.weights import model_bytes

if TYPE_CHECKING:
    from fashion.jobs import Parent, Snapshot


def scored_card(model: Model, config: TrainConfig, data: FashionMNIST, mirror: bool, training_time_s: float,
                steps: int, device: str | None = None) -> ModelCard:
    """The card of a freshly trained model, its accuracy measured as it will be used (mirror or not);
    `device` says in words where it trained (default: where it is)."""
    report = evaluate(model, data.test_images, data.test_labels, mirror=mirror)
    return new_card(model, config, report, mirror, training_time_s, steps, device)


def join(parts: list[tuple[Model, ModelCard]], data: FashionMNIST) -> tuple[Model, ModelCard]:
    """One ensemble of the models in `parts`, which must share one recipe but for the seed; ValueError if not."""
    cards = [card for _, card in parts]
    if any(card.config is None or card.training_time_s is None or card.steps is None for card in cards):
        raise ValueError("Only models saved by `train` can be joined.")
    recipes = [(replace(card.config, seed=0), card.mirror) for card in cards]
    if any(recipe != recipes[0] for recipe in recipes):
        raise ValueError("Only models trained with the same settings (seeds apart) can be joined.")
    model = join_members([model for model, _ in parts])
    card = scored_card(model, cards[0].config, data, cards[0].mirror, sum(c.training_time_s for c in cards),
                       sum(c.steps for c in cards))
    return model, card


def stored_run(config: TrainConfig, snap: Snapshot, parent: Parent | None = None) -> tuple[StoredRun, bytes]:
    """A finished app run (one that fashion.jobs.kept keeps) as the run store keeps it, and its model file
    (the card in its header); a continued one says which run it went on from."""
    done = snap.result
    card = new_card(done.model, config, done.report, mirror=False, training_time_s=done.elapsed_s, steps=done.step,
                    device=done.device)
    # The final score closes the evaluations, and each test-accuracy curve, even for a run stopped between two.
    scores = [(e.step, e.report) for e in snap.evals]
    if scores[-1][0] != done.step:
        scores.append((done.step, done.report))
    evals = [{"step": step, "epoch": config.in_epochs([step])[0], "accuracy": report.accuracy,
              "per_class": report.per_class, "confusion": report.confusion} for step, report in scores]
    run = StoredRun(
        number=0, config=asdict(config), accuracy=done.report.accuracy, per_class=done.report.per_class,
        confusion=done.report.confusion,
        curves={"epoch": config.in_epochs(snap.steps), "loss": snap.losses, "lr": snap.lrs,
                "eval_epoch": [e["epoch"] for e in evals], "test_accuracy": [e["accuracy"] for e in evals],
                "nudges": [[config.in_epochs([step])[0], factor] for step, factor in snap.nudges]},
        seconds=done.elapsed_s, stopped=done.stopped, device=done.device, evals=evals,
        parent=parent.number if parent else None, start_epoch=parent.epoch if parent else 0.0,
    )
    return run, model_bytes(done.model, card)
