import pytest
import torch

from fashion.model import ARCHITECTURES, MAX_PARAMS, build_model, count_params


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_every_architecture_gives_logits_for_ten_classes(arch):
    model = build_model(arch)
    assert count_params(model) < MAX_PARAMS
    out = model(torch.rand(5, 1, 28, 28))
    assert out.shape == (5, 10) and out.dtype == torch.float32
    assert model.embed(torch.rand(2, 1, 28, 28)).shape[0] == 2


def test_seeded_initialisation_is_repeatable():
    a = build_model("fast", torch.Generator().manual_seed(3))
    b = build_model("fast", torch.Generator().manual_seed(3))
    c = build_model("fast", torch.Generator().manual_seed(4))
    pa, pb, pc = (torch.cat([p.flatten() for p in m.parameters()]) for m in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)


def test_unknown_architecture_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown architecture"):
        build_model("vgg99")
