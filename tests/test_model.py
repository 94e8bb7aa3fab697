import pytest
import torch

from fashion.model import ARCHITECTURES, MAX_PARAMS, Ensemble, MaxPool2x2, build_model, count_params


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_every_architecture_gives_logits_for_ten_classes(arch):
    model = build_model(arch)
    assert count_params(model) < MAX_PARAMS
    out = model(torch.rand(5, 1, 28, 28))
    assert out.shape == (5, 10) and out.dtype == torch.float32
    assert model.embed(torch.rand(2, 1, 28, 28)).shape[0] == 2


def test_a_stem_is_one_more_conv_at_full_resolution():
    plain, stemmed = build_model("resnet9-slim"), build_model("resnet10-slim")
    x = torch.rand(2, 1, 28, 28)
    assert stemmed.features[0](x).shape == (2, 16, 28, 28)          # no pooling before the first stage
    assert len(stemmed.features) == len(plain.features) + 1
    assert plain.embed(x).shape == stemmed.embed(x).shape


def test_seeded_initialisation_is_repeatable():
    a = build_model("fast", torch.Generator().manual_seed(3))
    b = build_model("fast", torch.Generator().manual_seed(3))
    c = build_model("fast", torch.Generator().manual_seed(4))
    pa, pb, pc = (torch.cat([p.flatten() for p in m.parameters()]) for m in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)


def test_unknown_architecture_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown architecture"):
        build_model("vgg99")


def test_an_ensemble_averages_its_members_probabilities():
    a, b = (build_model("fast", torch.Generator().manual_seed(s)).eval() for s in (0, 1))
    ensemble = Ensemble([a, b]).eval()
    x = torch.rand(3, 1, 28, 28)
    expected = (a(x).softmax(1) + b(x).softmax(1)) / 2
    assert torch.allclose(ensemble(x).softmax(1), expected, atol=1e-6)
    # The unfamiliar score and the classifier split a prediction into embed and head: they must agree.
    assert torch.allclose(ensemble.head(ensemble.embed(x)), ensemble(x))
    assert count_params(ensemble) == count_params(a) + count_params(b)


def test_an_ensemble_of_different_architectures_is_refused():
    with pytest.raises(ValueError, match="one architecture"):
        Ensemble([build_model("fast"), build_model("medium")])


@pytest.mark.parametrize("size", [28, 14, 7])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_pooling_without_gradients_gives_max_pool2d_values(size, dtype):
    x = torch.randn(4, 8, size, size).to(dtype).contiguous(memory_format=torch.channels_last)
    expected = torch.nn.functional.max_pool2d(x, 2)
    with torch.inference_mode():
        fast = MaxPool2x2()(x)
    assert fast.shape == expected.shape and torch.equal(fast, expected)
    assert torch.equal(MaxPool2x2()(x), expected)      # with gradients: max_pool2d itself


def test_a_model_predicts_the_same_with_and_without_gradients():
    model = build_model("resnet9-slim", torch.Generator().manual_seed(0)).eval()
    x = torch.rand(6, 1, 28, 28)
    with torch.inference_mode():
        fast = model(x)
    assert torch.allclose(model(x), fast, atol=1e-5)
