"""The one inference module: every kind of input gets the same answer through the same views and precision."""
import cv2
import numpy as np
import pytest
import torch

from conftest import PHOTOS
from fashion import infer
from fashion.calibrate import fit_unfamiliar
from fashion.card import ModelCard
from fashion.classes import CLASS_SLUGS
from fashion.data import FashionMNIST, to_float
from fashion.infer import Classifier
from fashion.model import build_model
from fashion.unfamiliar import KNOWN_FLAG_RATE


@pytest.fixture
def float32_only(monkeypatch):
    """Exact comparisons: no bfloat16 pass, even on CPUs that have it."""
    monkeypatch.setattr(infer, "use_low_precision", lambda features: False)


def small_model() -> Classifier:
    return Classifier(build_model("fast", torch.Generator().manual_seed(0)), ModelCard("fast", mirror=True))


def test_a_batch_is_averaged_over_its_mirror_images_when_the_card_says_so(data, float32_only):
    classifier = small_model()
    images = data.test_images[:300]                 # more than one batch of infer.BATCH_SIZE
    x = to_float(images)
    with torch.no_grad():
        both = (classifier.model(x).softmax(1) + classifier.model(x.flip(3)).softmax(1)) / 2
        plain = classifier.model(x).softmax(1)
    assert torch.allclose(classifier.probs(images), both, atol=1e-5)
    classifier.card.mirror = False
    assert torch.allclose(classifier.probs(images), plain, atol=1e-5)


def test_one_image_gets_the_answer_its_batch_gets(data, float32_only):
    classifier = small_model()
    images = data.test_images[:5]
    batch = classifier.probs(images)
    for i in range(5):
        single = classifier.classify(images[i].numpy() / np.float32(255))
        assert np.allclose(single.probs, batch[i].numpy(), atol=1e-5) and single.index == int(batch[i].argmax())


def test_the_benchmarks_reference_net_is_scored_by_the_same_path(data):
    from fashion.bench import build_reference
    from fashion.evaluate import evaluate

    report = evaluate(build_reference(), data.test_images[:200], data.test_labels[:200])
    assert 0 <= report.accuracy <= 1 and sum(map(sum, report.confusion)) == 200


def test_features_stay_float32_and_match_the_probabilities_pass(data):
    classifier = small_model()
    images = data.test_images[:10]
    out = infer.run(classifier.model, images, mirror=True, features=True)
    assert not infer.use_low_precision(features=True)
    assert out.features.dtype == torch.float32 and torch.equal(out.features, classifier.features(images))
    assert out.features.shape == (10, 64 * 9) and torch.allclose(out.probs.sum(1), torch.ones(10), atol=1e-4)
    assert infer.run(classifier.model, images[:0], mirror=True).probs.shape == (0, 10)


def test_a_file_becomes_a_prediction_or_a_sentence(tmp_path):
    classifier = Classifier.load()
    garment = np.full((300, 240, 3), 235, np.uint8)
    cv2.rectangle(garment, (60, 40), (180, 260), (40, 50, 90), -1)
    ok, jpeg = cv2.imencode(".jpg", garment)
    answer = classifier.classify_file(jpeg.tobytes())
    assert answer.prediction is not None and answer.message is None and answer.photo is not None
    assert np.array_equal(answer.image, answer.photo.views[0]) and len(answer.views) == 2 * len(answer.photo.views)
    blank = classifier.classify_file(cv2.imencode(".png", np.full((200, 200, 3), 128, np.uint8))[1].tobytes())
    assert blank.prediction is None and blank.level == "warning" and "could not find an item" in blank.message
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    bad = classifier.classify_file(text)
    assert bad.prediction is None and bad.level == "error" and "not an image we can read" in bad.message


def test_fitting_the_warning_flags_the_chosen_share_of_garment_photos(data, tmp_path):
    if not PHOTOS.is_dir():
        pytest.skip(f"{PHOTOS} is not here")
    tree = tmp_path / "photos"
    for slug in CLASS_SLUGS[:5]:                    # 4 photos of each of five classes: 20 garments
        (tree / slug).mkdir(parents=True)
        for photo in sorted((PHOTOS / slug).glob("*.jpg"))[:4]:
            (tree / slug / photo.name).write_bytes(photo.read_bytes())
    few = FashionMNIST(data.train_images[:3000], data.train_labels[:3000], data.test_images, data.test_labels)
    classifier = small_model()
    stats, photos = fit_unfamiliar(classifier, few, tree)
    assert photos == 20 and classifier.feature_stats is stats
    scores = [classifier.classify_file(f).prediction.unfamiliar_score for f in sorted(tree.glob("*/*.jpg"))]
    assert sum(score > stats.threshold for score in scores) == round(KNOWN_FLAG_RATE * 20)


def test_one_model_shared_by_many_sessions_gives_saliency_maps_at_once(data):
    """The app shares one model among all sessions. Saliency from many threads at once must leave its
    weights alone (backward() into their shared .grad from 15 uploads at once corrupted the server's heap)
    and give each image the map it gets alone."""
    from concurrent.futures import ThreadPoolExecutor

    classifier = small_model()
    images = list(data.test_images[:8].float().div(255).numpy())
    alone = [classifier.saliency(image, 3) for image in images]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda i: classifier.saliency(images[i % 8], 3), range(160)))
    assert all(parameter.grad is None for parameter in classifier.model.parameters())
    for i, heat in enumerate(together):
        np.testing.assert_allclose(heat, alone[i % 8], atol=1e-5)
