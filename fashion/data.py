"""Find Fashion-MNIST on disk, load it into memory as tensors, and make augmented batches."""
from __future__ import annotations

import gzip
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from fashion.classes import IMAGE_SIZE, NUM_CLASSES

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
# Where `python -m fashion download` asks torchvision to put the files.
DOWNLOAD_ROOT = Path.home() / ".cache" / "fashion-mnist"
# torchvision's FashionMNIST(root) keeps the raw files in root/FashionMNIST/raw.
TORCHVISION_DIRS = (
    DOWNLOAD_ROOT / "FashionMNIST" / "raw",
    Path("data") / "FashionMNIST" / "raw",
)
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60_000),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10_000),
}
IMAGES_MAGIC, LABELS_MAGIC = 0x00000803, 0x00000801  # IDX: unsigned bytes, 3 or 1 dimensions


class DataError(Exception):
    """The data set is missing or a file of it is damaged; the message says which and what to do."""


@dataclass
class FashionMNIST:
    """The whole data set in memory: images as uint8 (N, 28, 28), labels as int64 (N,)."""
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor

    def to(self, device: torch.device) -> FashionMNIST:
        """The data set on `device`, to be moved once rather than batch by batch (a tensor already there
        is not copied)."""
        return FashionMNIST(*(t.to(device) for t in (self.train_images, self.train_labels,
                                                     self.test_images, self.test_labels)))


def candidate_dirs() -> list[Path]:
    """Folders that may hold the four .gz files, in the order we look."""
    dirs = [Path(os.environ["FASHION_MNIST_DIR"])] if os.environ.get("FASHION_MNIST_DIR") else []
    return dirs + [DEBIAN_DIR, *TORCHVISION_DIRS]


def find_data_dir() -> Path:
    names = [name for images, labels, _ in FILES.values() for name in (images, labels)]
    for folder in candidate_dirs():
        if all((folder / name).is_file() for name in names):
            return folder
    raise DataError(
        "Fashion-MNIST was not found. Get it one of three ways: set FASHION_MNIST_DIR to a folder "
        f"holding the four .gz files; install Debian's package (apt-get install dataset-fashion-mnist, "
        f"which puts them in {DEBIAN_DIR}); or run `python -m fashion download` (torchvision downloads "
        f"them to {TORCHVISION_DIRS[0]})."
    )


def read_idx(path: Path, magic: int, count: int) -> np.ndarray:
    """Read one gzipped IDX file, checking its header, and return its array."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path} is not a readable gzip file ({e}). Delete it and fetch the data again.") from e
    dims = magic & 0xFF
    header_size = 4 + 4 * dims
    if len(raw) < header_size or struct.unpack(">I", raw[:4])[0] != magic:
        raise DataError(f"{path} is not a Fashion-MNIST IDX file (wrong magic number).")
    shape = struct.unpack(f">{dims}I", raw[4:header_size])
    expected_shape = (count, IMAGE_SIZE, IMAGE_SIZE)[:dims]
    if shape != expected_shape:
        raise DataError(f"{path} holds an array of shape {shape}, expected {expected_shape}.")
    body = raw[header_size:]
    if len(body) != int(np.prod(shape)):
        raise DataError(f"{path} is truncated: {len(body)} bytes of data where {int(np.prod(shape))} were expected.")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def load_split(folder: Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    images_name, labels_name, count = FILES[split]
    images = read_idx(folder / images_name, IMAGES_MAGIC, count)
    labels = read_idx(folder / labels_name, LABELS_MAGIC, count)
    if labels.max() >= NUM_CLASSES:
        raise DataError(f"{folder / labels_name} has labels outside 0-{NUM_CLASSES - 1}.")
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


def load_fashion_mnist(folder: Path | None = None) -> FashionMNIST:
    """Load all 70,000 images into memory (about 55 MB)."""
    folder = Path(folder) if folder else find_data_dir()
    return FashionMNIST(*load_split(folder, "train"), *load_split(folder, "test"))


def download(root: Path = DOWNLOAD_ROOT) -> Path:
    """Let torchvision download the files (needs internet); returns the folder holding them."""
    # Imported here: torchvision costs 1.5 s on top of torch's import, and nothing else needs it.
    from torchvision.datasets import FashionMNIST as TorchvisionFashionMNIST

    TorchvisionFashionMNIST(str(root), train=True, download=True)
    TorchvisionFashionMNIST(str(root), train=False, download=True)
    return root / "FashionMNIST" / "raw"


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float (N, 1, 28, 28) in [0, 1]; kept uint8 until needed to save memory."""
    return images.unsqueeze(1).float().div_(255)


def batches(images, labels, batch_size: int, generator: torch.Generator, drop_last: bool = True):
    """Yield shuffled (images, labels) batches from tensors in memory: no DataLoader, no workers."""
    order = torch.randperm(len(images), generator=generator).to(images.device)
    stop = len(order) - batch_size + 1 if drop_last else len(order)
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        yield images[idx], labels[idx]


def augment(x: torch.Tensor, generator: torch.Generator, shift: int = 2, erase: float = 0.5) -> torch.Tensor:
    """Augment a float batch (N, 1, H, W) in one go: random mirror, shift and erased rectangle. The draws
    come from the CPU generator whatever the batch's device, so a seed gives the same run everywhere."""
    n, _, h, w = x.shape
    flip = (torch.rand(n, generator=generator) < 0.5).to(x.device)
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    if shift:
        x = random_shift(x, shift, generator)
    if erase:
        x = random_erase(x, erase, generator)
    return x


def random_shift(x: torch.Tensor, pad: int, generator: torch.Generator) -> torch.Tensor:
    """Shift each image by up to `pad` pixels each way, filling with black, by indexing a padded copy."""
    n, c, h, w = x.shape
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (n, 1, 1), generator=generator).to(x.device)
    dx = torch.randint(0, 2 * pad + 1, (n, 1, 1), generator=generator).to(x.device)
    rows = torch.arange(h, device=x.device).view(1, h, 1) + dy
    cols = torch.arange(w, device=x.device).view(1, 1, w) + dx
    batch = torch.arange(n, device=x.device).view(n, 1, 1)
    return padded[batch, 0, rows, cols].unsqueeze(1)


def random_erase(x: torch.Tensor, p: float, generator: torch.Generator, max_size: int = 12) -> torch.Tensor:
    """Black out one random rectangle in a fraction p of the images (random erasing, Zhong et al.)."""
    n, _, h, w = x.shape
    size = torch.randint(4, max_size + 1, (n, 2), generator=generator)
    top = (torch.rand(n, generator=generator) * (h - size[:, 0] + 1)).long()
    left = (torch.rand(n, generator=generator) * (w - size[:, 1] + 1)).long()
    size, top, left = size.to(x.device), top.to(x.device), left.to(x.device)
    ys, xs = torch.arange(h, device=x.device).view(1, h, 1), torch.arange(w, device=x.device).view(1, 1, w)
    inside = ((ys >= top.view(n, 1, 1)) & (ys < (top + size[:, 0]).view(n, 1, 1))
              & (xs >= left.view(n, 1, 1)) & (xs < (left + size[:, 1]).view(n, 1, 1)))
    chosen = (torch.rand(n, generator=generator) < p).view(n, 1, 1).to(x.device)
    return x.masked_fill((inside & chosen).unsqueeze(1), 0.0)
