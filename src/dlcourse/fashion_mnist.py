"""Fashion-MNIST (Zalando, MIT licence): the items the offline world's ImageNet and Pets are drawn from.

70,000 labelled 28×28 greyscale pictures of clothing items in ten classes. Offline mode puts each item
into a photo of its own (`dlcourse.photos`) and uses them the way the real course uses ImageNet and Pets:

- the bundled model is pretrained on photos of *training*-split items (all ten classes), as ResNet-34 is
  pretrained on ImageNet, which has dog and cat breeds among its classes;
- the lessons' photos are drawn only from *test*-split items of five classes (sandal, shirt, sneaker,
  bag, ankle boot), so no lesson item was seen in pretraining. Those items ship inside this package
  (`dlcourse/weights/fashion_lessons.npz`, 2 MB); the full set is Debian's `dataset-fashion-mnist`.
"""

from __future__ import annotations

import gzip
import os
import zipfile
from pathlib import Path

import numpy as np

from dlcourse.bundled import WEIGHTS_DIR, damaged

CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
LESSON_CLASSES = (5, 6, 7, 8, 9)
# File-name stems in Pets' layout; footwear is capitalised, as Pets capitalises the cat breeds.
FILE_STEMS = {5: "Sandal", 6: "shirt", 7: "Sneaker", 8: "bag", 9: "Ankle_boot"}
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
LESSON_FILE = WEIGHTS_DIR / "fashion_lessons.npz"
INSTALL_HINT = "install Debian's package (apt-get install dataset-fashion-mnist) or set FASHION_MNIST_DIR"


def source_dir() -> Path:
    return Path(os.environ.get("FASHION_MNIST_DIR", DEBIAN_DIR))


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (the MNIST format), gzipped: big-endian dimensions, then uint8 values."""
    raw = gzip.open(path).read()
    dims = np.frombuffer(raw[4 : 4 + 4 * raw[3]], dtype=">u4")
    return np.frombuffer(raw[4 + 4 * raw[3] :], dtype=np.uint8).reshape(dims)


def load_split(split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) of the 'train' (60,000) or 'test' (10,000) split from the full data set."""
    prefix = {"train": "train", "test": "t10k"}[split]
    folder = source_dir()
    try:
        return read_idx(folder / f"{prefix}-images-idx3-ubyte.gz"), read_idx(
            folder / f"{prefix}-labels-idx1-ubyte.gz"
        )
    except FileNotFoundError as err:
        raise FileNotFoundError(f"Fashion-MNIST not found in {folder}: {INSTALL_HINT}") from err


def lesson_images() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images, labels, index in the test split) of the shipped lesson classes."""
    try:
        with np.load(LESSON_FILE) as saved:
            images, labels, test_index = saved["images"], saved["labels"], saved["test_index"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise damaged(LESSON_FILE, err, "offline-model --lesson-file") from err
    if not len(images) == len(labels) == len(test_index):
        raise damaged(LESSON_FILE, "its arrays differ in length", "offline-model --lesson-file")
    return images, labels, test_index
