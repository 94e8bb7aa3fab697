"""Inside the network: feature maps per stage for every architecture, the first filters, the nearest training
images, and a run's replay."""
import numpy as np
import pytest
import torch

from fashion import inside
from fashion.config import ARCHITECTURES, TrainConfig
from fashion.jobs import Snapshot
from fashion.model import Ensemble, build_model
from fashion.neighbours import build_index, features_of
from fashion.train import train
from fashion.trained import stored_run


def expected_shapes(arch: str) -> list[tuple[int, int, int]]:
    spec = ARCHITECTURES[arch]
    shapes = [(spec.stem, 28, 28)] if spec.stem else []
    return shapes + [(spec.widths[0], 14, 14), (spec.widths[1], 7, 7), (spec.widths[2], 3, 3)]


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_each_stage_gives_its_maps_strongest_first(arch, data):
    model = build_model(arch, torch.Generator().manual_seed(0)).eval()
    image = data.test_images[0].float().div(255).numpy()
    stages = inside.feature_maps(model, image)
    assert [s.shape for s in stages] == expected_shapes(arch)
    for stage in stages:
        assert stage.maps.shape == stage.shape and 0 <= stage.maps.min() and stage.maps.max() <= 1
        assert np.all(np.diff(stage.strength) <= 1e-6) and sorted(stage.channels) == list(range(stage.shape[0]))
    assert stages[-1].name.startswith("Stage 3") and stages[0].name.split(":")[0] in ("Stem", "Stage 1")
    filters = inside.first_filters(model)
    assert filters.shape == (stages[0].shape[0], 3, 3) and filters.min() >= 0 and filters.max() <= 1


def test_an_ensemble_shows_its_first_member(data):
    first, second = (build_model("fast", torch.Generator().manual_seed(s)).eval() for s in (0, 1))
    image = data.test_images[1].float().div(255).numpy()
    assert inside.network_of(Ensemble([first, second])) is first
    mine, its = inside.feature_maps(Ensemble([first, second]), image), inside.feature_maps(first, image)
    assert all(np.array_equal(a.maps, b.maps) for a, b in zip(mine, its, strict=True))
    assert not np.array_equal(inside.first_filters(first), inside.first_filters(second))


def test_a_training_image_is_its_own_nearest_neighbour(data):
    model = build_model("fast", torch.Generator().manual_seed(0)).eval()
    index = build_index(model, data.train_images[:3000], data.test_images[:300])
    assert index.points.shape == (3000, 128) and index.typical > 0
    for i in (0, 1234, 2999):
        found, distances = index.nearest(features_of(model, data.train_images[i:i + 1])[0])
        assert found[0] == i and distances[0] < 1e-3 * index.typical and distances == sorted(distances)


def test_the_replay_ends_at_the_final_confusion_matrix(data):
    config = TrainConfig(max_steps=5, eval_every=2)
    events = list(train(config, data))
    evals = [e for e in events if type(e).__name__ == "EvalEvent"]
    done = events[-1]
    snap = Snapshot("running", 0, None, [1, 2, 3, 4, 5], [1.0] * 5, [0.5] * 5, [0.1] * 5, evals, done, None,
                    nudges=[(3, 2.0)])
    run, model_file = stored_run(config, snap)
    assert [e["step"] for e in run.evals] == [2, 4, 5]          # every evaluation, then the end of the run
    assert run.evals[-1]["confusion"] == run.confusion == done.report.confusion and model_file[:8]
    assert run.curves["test_accuracy"] == [e["accuracy"] for e in run.evals]
    assert run.curves["lr"] == [0.1] * 5 and run.curves["nudges"] == [[config.in_epochs([3])[0], 2.0]]


def test_the_live_strip_has_one_image_per_class_then_hard_ones_and_the_persons_own(data):
    from fashion.classes import LIVE_TEST_IMAGES
    from fashion.events import EvalEvent
    from fashion.live import live_probes

    assert [int(data.test_labels[i]) for i in LIVE_TEST_IMAGES[:10]] == list(range(10))
    own = np.zeros((28, 28), np.float32)
    own[4:24, 8:20] = 1.0
    probes = live_probes(data.test_images, own)
    assert probes.shape == (len(LIVE_TEST_IMAGES) + 1, 1, 28, 28) and torch.equal(probes[-1, 0], torch.from_numpy(own))
    config = TrainConfig(max_steps=4, eval_every=2)
    evals = [e for e in train(config, data, probes=probes) if isinstance(e, EvalEvent)]
    assert len(evals) == 2 and all(len(e.live.probs) == len(probes) for e in evals)
    first, second = evals[0].live.filters, evals[1].live.filters
    assert first.shape == (16, 3, 3) and not np.array_equal(first, second)
    assert all(e.live is None for e in train(config, data) if isinstance(e, EvalEvent))
