"""The Pets data, the way fastai's lessons load it, and its offline stand-in.

Full mode: Oxford-IIIT Pets via `untar_data(URLs.PETS)`: 37 breeds named in the file name
(`great_pyrenees_173.jpg`), cats with a capital first letter (`Bengal_12.jpg`).

Offline mode: real handwritten digits shipped with scikit-learn, written to disk in the same layout:
`seven_0043.png`, with a capital first letter for odd digits (`Seven_...`) standing in for cats.
scikit-learn's 1,797 images are split in two halves that never share an image: the even-numbered
ones pretrain the bundled model on all ten digits (as ImageNet, which has many pet breeds, pretrains
ResNet-34), the odd-numbered images of digits 5-9 are the lessons' dataset. The same labelling
functions and DataBlock code run on both.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from dlcourse.mode import Mode, has_internet

BREED_PATTERN = r"^(.+)_\d+\.(?:jpg|jpeg|png)$"
DIGIT_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
PRETRAIN_DIGITS, PRETRAIN_HALF = tuple(range(10)), 0  # even-numbered images
LESSON_DIGITS, LESSON_HALF = (5, 6, 7, 8, 9), 1  # odd-numbered images


class DataError(RuntimeError):
    """A dataset that cannot be used, with what to do about it."""


@dataclass(frozen=True)
class DataConfig:
    item_size: int  # Resize target per item (fastai's presizing: larger than the final size)
    size: int  # final size after batch augmentation
    batch_size: int
    flip: bool
    num_workers: int | None  # None: fastai's default


FULL = DataConfig(item_size=460, size=224, batch_size=64, flip=True, num_workers=None)
OFFLINE = DataConfig(item_size=32, size=32, batch_size=32, flip=False, num_workers=0)


def is_cat(name: str) -> bool:
    """Pets' naming rule: cat breeds start with a capital letter (offline: odd digits)."""
    return name[0].isupper()


def data_root() -> Path:
    return Path(os.environ.get("DLCOURSE_DATA", Path.home() / ".cache" / "dlcourse"))


def download_pets(timeout_s: float = 3.0) -> Path:
    """The Pets images folder, downloaded by fastai; a clear error within seconds when offline."""
    from fastai.data.external import URLs, untar_data

    hint = "Use offline mode instead: set DLCOURSE_MODE=offline, or pass --offline to `dlcourse train`."
    if not has_internet(timeout_s=timeout_s):
        raise DataError(f"cannot reach the Oxford-IIIT Pets server (no internet?). {hint}")
    try:
        return Path(untar_data(URLs.PETS)) / "images"
    except Exception as err:  # fastai raises URLError, HTTPError, tarfile errors...
        raise DataError(f"downloading Oxford-IIIT Pets failed: {err}. {hint}") from err


def write_digits(dest: Path, digits: tuple[int, ...], half: int, size: int = 32) -> Path:
    """Write one half (0: even-, 1: odd-numbered) of scikit-learn's digits as PNGs in the Pets layout."""
    from sklearn.datasets import load_digits

    images, labels = load_digits(return_X_y=True)
    keep = [i for i, label in enumerate(labels) if label in digits and i % 2 == half]
    dest = Path(dest)
    if dest.is_dir() and len(list(dest.glob("*.png"))) == len(keep):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent))
    for i in keep:
        name = DIGIT_NAMES[labels[i]]
        name = name.capitalize() if labels[i] % 2 else name
        pixels = (images[i].reshape(8, 8) / 16 * 255).astype(np.uint8)
        img = Image.fromarray(pixels).resize((size, size), Image.Resampling.BICUBIC).convert("RGB")
        img.save(tmp / f"{name}_{i:04d}.png")
    shutil.rmtree(dest, ignore_errors=True)
    tmp.replace(dest)
    return dest


def offline_pets() -> Path:
    """The offline stand-in for Pets: about 450 real images of the digits 5-9."""
    return write_digits(data_root() / "digits-5-9-odd", LESSON_DIGITS, LESSON_HALF)


def pets_path(mode: Mode) -> Path:
    return offline_pets() if mode.offline else download_pets()


def image_files(path: Path) -> list[Path]:
    """The images under `path`, checked: a missing folder, no images or unreadable files are errors."""
    from fastai.data.transforms import get_image_files
    from fastai.vision.utils import verify_images

    path = Path(path)
    if not path.is_dir():
        raise DataError(f"image folder {path} does not exist; check the path, or use offline mode")
    files = list(get_image_files(path))
    if not files:
        raise DataError(f"no image files (.jpg, .png, ...) in {path}")
    broken = list(verify_images(files))
    if broken:
        names = ", ".join(str(Path(f).relative_to(path)) for f in broken[:10])
        more = f" and {len(broken) - 10} more" if len(broken) > 10 else ""
        raise DataError(
            f"{len(broken)} image file(s) in {path} cannot be read: {names}{more}. "
            "Delete or replace them, then run again."
        )
    return files


def pets_dataloaders(
    path: Path, mode: Mode, label: str = "breed", seed: int = 42, batch_size: int | None = None
):
    """fastai DataLoaders as the lessons build them: 20 % validation (fixed seed), presizing, augmentation."""
    from fastai.vision.augment import Resize, aug_transforms
    from fastai.vision.data import ImageDataLoaders

    cfg = OFFLINE if mode.offline else FULL
    files = image_files(path)
    common = dict(
        valid_pct=0.2,
        seed=seed,
        item_tfms=Resize(cfg.item_size),
        batch_tfms=aug_transforms(size=cfg.size, min_scale=0.75, do_flip=cfg.flip),
        bs=batch_size or cfg.batch_size,
        **({"num_workers": cfg.num_workers} if cfg.num_workers is not None else {}),
    )
    if label == "breed":
        return ImageDataLoaders.from_name_re(path, files, BREED_PATTERN, **common)
    if label == "cat":
        return ImageDataLoaders.from_name_func(path, files, is_cat, **common)
    raise ValueError(f"label must be 'breed' or 'cat', got {label!r}")
