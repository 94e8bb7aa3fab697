import gzip
import struct

import numpy as np
import pytest
import torch

from fashion import data as data_module
from fashion.data import FILES, DataError, augment, batches, find_data_dir, load_fashion_mnist, read_idx


def test_real_dataset_is_complete(data):
    assert data.train_images.shape == (60_000, 28, 28) and data.train_images.dtype == torch.uint8
    assert data.test_images.shape == (10_000, 28, 28)
    assert data.train_labels.shape == (60_000,) and data.test_labels.shape == (10_000,)
    # Fashion-MNIST is balanced: 6,000 training and 1,000 test images per class.
    assert torch.bincount(data.train_labels).tolist() == [6000] * 10
    assert torch.bincount(data.test_labels).tolist() == [1000] * 10
    assert abs(data.train_images.float().mean().item() / 255 - 0.2860) < 1e-3


def write_idx(path, magic, shape, body_bytes=None):
    body = body_bytes if body_bytes is not None else bytes(int(np.prod(shape)))
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">I", magic) + struct.pack(f">{len(shape)}I", *shape) + body)


def copy_dataset(tmp_path, real_dir):
    for images, labels, _ in FILES.values():
        for name in (images, labels):
            (tmp_path / name).write_bytes((real_dir / name).read_bytes())


def test_truncated_file_names_the_file(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    write_idx(path, 0x803, (10_000, 28, 28), body_bytes=bytes(1000))
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz.*truncated"):
        read_idx(path, 0x803, 10_000)


def test_foreign_file_is_refused_with_its_name(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(b"<html>not found</html>")  # what a failed download often leaves behind
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz"):
        read_idx(path, 0x801, 60_000)
    write_idx(path, 0x803, (60_000, 28, 28))  # an images file where labels belong
    with pytest.raises(DataError, match="wrong magic"):
        read_idx(path, 0x801, 60_000)


def test_wrong_shape_is_refused(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    write_idx(path, 0x803, (10_000, 32, 32))
    with pytest.raises(DataError, match="shape"):
        read_idx(path, 0x803, 10_000)


def test_environment_folder_comes_first(tmp_path, monkeypatch):
    copy_dataset(tmp_path, find_data_dir())
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path))
    assert find_data_dir() == tmp_path
    assert len(load_fashion_mnist().test_labels) == 10_000


def test_missing_data_names_all_three_ways(tmp_path, monkeypatch):
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "empty"))
    monkeypatch.setattr(data_module, "DEBIAN_DIR", tmp_path / "none")
    monkeypatch.setattr(data_module, "TORCHVISION_DIRS", (tmp_path / "nothing",))
    with pytest.raises(DataError) as err:
        find_data_dir()
    message = str(err.value)
    assert "FASHION_MNIST_DIR" in message and "apt-get install dataset-fashion-mnist" in message
    assert "python -m fashion download" in message


def test_batches_cover_the_data_once(data):
    g = torch.Generator().manual_seed(0)
    seen = torch.cat([labels for _, labels in batches(data.test_images, data.test_labels, 1000, g)])
    assert len(seen) == 10_000 and torch.bincount(seen).tolist() == [1000] * 10


def test_augment_keeps_shape_and_range(data):
    g = torch.Generator().manual_seed(0)
    x = data.test_images[:64].unsqueeze(1).float() / 255
    y = augment(x, g)
    assert y.shape == x.shape and y.min() >= 0 and y.max() <= 1
    assert not torch.equal(x, y)


@pytest.mark.parametrize("erase, erased", [(0.0, 0), (1.0, 200)])
def test_erase_blacks_out_a_rectangle_in_that_share_of_images(erase, erased):
    x = torch.ones(200, 1, 28, 28)        # no black anywhere, and no shift: only erasing makes black
    y = augment(x, torch.Generator().manual_seed(0), shift=0, erase=erase)
    black = (y == 0).flatten(1).sum(1)
    assert int((black > 0).sum()) == erased and (black[black > 0] >= 16).all()   # at least 4 x 4
