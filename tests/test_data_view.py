"""The data view's numbers and images, on the real dataset."""
import torch

from fashion.classes import PIXEL_MEAN, PIXEL_STD
from fashion.data_view import augmented, class_counts, class_samples, pixel_stats


def test_samples_are_of_their_class_and_the_same_for_the_same_seed(data):
    samples = class_samples(data.train_labels, 8, seed=3)
    assert len(samples) == 10
    for label, indices in enumerate(samples):
        assert len(indices) == 8 and (data.train_labels[indices] == label).all()
    assert all(torch.equal(a, b) for a, b in zip(samples, class_samples(data.train_labels, 8, seed=3), strict=True))
    assert not torch.equal(samples[0], class_samples(data.train_labels, 8, seed=4)[0])


def test_counts_add_up_and_the_classes_are_balanced(data):
    train, test = class_counts(data.train_labels), class_counts(data.test_labels)
    assert sum(train) == 60_000 and sum(test) == 10_000
    assert train == [6000] * 10 and test == [1000] * 10


def test_the_normalisation_constants_are_the_training_pixels_statistics(data):
    stats = pixel_stats(data.train_images)
    assert abs(stats.mean - PIXEL_MEAN) < 5e-4 and abs(stats.std - PIXEL_STD) < 5e-4


def test_a_new_seed_draws_a_new_augmentation_of_the_same_images(data):
    images = data.train_images[:16]
    first, again, other = augmented(images, 1, 0.5), augmented(images, 1, 0.5), augmented(images, 2, 0.5)
    assert first.shape == (16, 28, 28) and torch.equal(first, again) and not torch.equal(first, other)
    plain = images.float() / 255
    changed = (augmented(images, 1, 0.5) != plain).flatten(1).any(1)
    assert changed.sum() >= 8                                            # most images moved or mirrored
