"""What a finished training becomes: the model scored on the test set, with its card; and models
trained apart joined into one ensemble, as `train --members` would have made it."""
from __future__ import annotations

from dataclasses import replace

from fashion.card import ModelCard, new_card
from fashion.config import TrainConfig
from fashion.data import FashionMNIST
from fashion.evaluate import evaluate
from fashion.model import Model, join_members


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
