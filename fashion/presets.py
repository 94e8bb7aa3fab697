"""Recipes a teacher would demo in the Train tab, each with the one thing to watch for.

Each preset is a whole TrainConfig (and, for a custom network, its design), defined here once; the Train tab
fills its controls from one. They change only what the tab shows (architecture and design, epochs, batch
size, learning rate, optimizer, augmentation, seed), so the run that follows is the preset itself.
The sentences' figures are from one run each on two CPU cores (seed 0); another machine's differ a little.
"""
from __future__ import annotations

from dataclasses import dataclass

from fashion.config import CUSTOM, TrainConfig
from fashion.spec import CustomSpec


@dataclass(frozen=True)
class Preset:
    name: str
    config: TrainConfig
    watch: str                  # one sentence: what the person should watch for


PRESETS = {preset.name: preset for preset in (
    Preset("fast", TrainConfig(),
           "The default recipe: watch the test accuracy pass 90% within its two epochs, in seconds."),
    # onecycle (the tab's schedule) warms up to the peak and anneals: the run breaks, then mends (81.1%).
    Preset("learning rate too high", TrainConfig(lr=2.0, optimizer="sgd"),
           "Watch the loss: as the learning rate warms up to 2.0 it jumps back to 2.3, a guess among ten "
           "classes, and mends only as the rate falls again, ending near 81% against the fast preset's 91%."),
    # 20 epochs, one run each (seed 0): train 97.6% / test 92.6% without, 91.5% / 91.5% with augmentation;
    # at 30 epochs 98.4% / 92.6% and 91.9% / 92.0%. This small network gains no test accuracy from it.
    Preset("no augmentation", TrainConfig(epochs=20),
           "Twenty epochs on the same images: watch train accuracy climb towards 98% while test accuracy "
           "stops near 92.5%; that gap is the network learning the training images by heart."),
    Preset("augmentation", TrainConfig(epochs=20, augment=True),
           "The same twenty epochs on randomly mirrored, shifted and erased images: train accuracy stays level "
           "with test accuracy, with no gap, though a network this small ends no higher on the test set."),
    # 86.9% in one run: nearly all of its 15,778 parameters are the last layer's (8 x 14 x 14 inputs).
    Preset("tiny network", TrainConfig(arch=CUSTOM, spec=CustomSpec(channels=(8,))),
           "One block of 8 channels, half the fast preset's parameters and nearly all of them in its last "
           "layer: watch the test accuracy level off near 87%, against the fast preset's 91%."),
)}
