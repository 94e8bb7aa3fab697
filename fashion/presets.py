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
           "The default recipe: watch the test accuracy pass 90% within the two epochs, in seconds."),
    Preset("learning rate too high", TrainConfig(lr=2.0, optimizer="sgd"),
           "Watch the loss: as the learning rate warms up to 2.0 it jumps back to 2.3, a guess among ten "
           "classes, and recovers only as the rate falls again, to a test accuracy well below the fast "
           "preset's."),
    Preset("no augmentation", TrainConfig(epochs=15),
           "Fifteen epochs on the same images: watch train accuracy pull ahead of test accuracy as the "
           "network learns the training images by heart; then try the augmentation preset."),
    Preset("augmentation", TrainConfig(epochs=15, augment=True),
           "The same fifteen epochs on randomly mirrored, shifted and erased images: train accuracy stays "
           "lower, and test accuracy ends higher than without augmentation."),
    Preset("tiny network", TrainConfig(arch=CUSTOM, spec=CustomSpec(channels=(8,))),
           "One block of 8 channels (16k parameters, half the fast preset's): watch the test accuracy "
           "level off well below the fast preset's 90%."),
)}
