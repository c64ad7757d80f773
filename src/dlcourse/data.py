"""The Pets data, the way fastai's lessons load it, and its offline stand-in.

Full mode: Oxford-IIIT Pets via `untar_data(URLs.PETS)`: 37 breeds named in the file name
(`great_pyrenees_173.jpg`), cats with a capital first letter (`Bengal_12.jpg`).

Offline mode: photos of five kinds of clothing, each drawn from one Fashion-MNIST item by
`dlcourse.photos` (placed, scaled, turned and lit at random on a textured background), written to disk
in the same layout:
`Sandal_00042.png`, `shirt_00105.png`, with a capital first letter for footwear (sandal, sneaker, ankle
boot) standing in for cats. They come from the test split only; the bundled model was pretrained on
the training split (see `dlcourse.fashion_mnist`). The same labelling functions and fastai code run on both.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from dlcourse import fashion_mnist, photos
from dlcourse.mode import Mode, has_internet

BREED_PATTERN = r"^(.+)_\d+\.(?:jpg|jpeg|png)$"
OFFLINE_IMAGES = 2500  # the offline lesson set: 500 for training, 2,000 for validation


class DataError(RuntimeError):
    """A dataset that cannot be used, with what to do about it."""


@dataclass(frozen=True)
class DataConfig:
    item_size: int | tuple[int, int]  # Resize target per item (presizing: larger than the final size)
    size: int  # final size after batch augmentation
    batch_size: int
    flip: bool
    num_workers: int | None  # None: fastai's default
    valid_pct: float  # share of the images kept aside for validation
    valid_batch_size: int | None = None  # None: the training batch size (validation needs no gradients)
    # augmentation (`aug_transforms`) where a data set needs other than fastai's defaults
    min_scale: float = 0.75  # the smallest share of the image a random crop keeps
    flip_vert: bool = False  # also flip top to bottom and turn by quarter turns (images seen from above)
    max_zoom: float = 1.1
    max_warp: float = 0.2


FULL = DataConfig(item_size=256, size=224, batch_size=64, flip=True, num_workers=None, valid_pct=0.2)
# Offline, most images validate: 2,000 of them, so one image moves the error rate by 0.05 points. The
# items fill most of each 40-pixel photo: there random crops cost accuracy (docs/offline.md), so offline
# augmentation makes none.
OFFLINE = DataConfig(
    item_size=photos.LESSON.canvas,
    size=photos.LESSON.canvas,
    batch_size=16,
    flip=True,
    num_workers=0,
    valid_pct=0.8,
    valid_batch_size=256,
    min_scale=1.0,
)


def is_cat(name: str) -> bool:
    """Pets' naming rule: cat breeds start with a capital letter (offline: odd digits)."""
    return name[0].isupper()


def data_root() -> Path:
    """Where the offline images and caches live: $DLCOURSE_DATA, or ~/.cache/dlcourse."""
    root = Path(os.environ.get("DLCOURSE_DATA") or Path.home() / ".cache" / "dlcourse")
    for folder in (root, *root.parents):
        if folder.exists():
            if not folder.is_dir():
                raise DataError(
                    f"{folder} is a file, not a folder: point DLCOURSE_DATA at a folder, or unset it"
                )
            break
    return root


def untar_data_path(url: str) -> Path:
    """Where fastai's `untar_data(url)` keeps the extracted data (it downloads nothing when that exists)."""
    from fastai.data.external import fastai_path

    name = url.rsplit("/", 1)[-1]
    for suffix in (".tgz", ".tar.gz", ".zip", ".tar"):
        name = name.removesuffix(suffix)
    return fastai_path("data") / name


OFFLINE_HINT = "Use offline mode instead: set DLCOURSE_MODE=offline, or pass --offline to `dlcourse train`."


def download(url: str, what: str, timeout_s: float = 3.0) -> Path:
    """fastai's `untar_data(url)`, failing with a clear error that names offline mode: within seconds,
    before any download starts, when the host cannot be reached; and when the download itself fails."""
    from fastai.data.external import untar_data

    if not untar_data_path(url).exists() and not has_internet(timeout_s=timeout_s):
        raise DataError(f"cannot reach the server of {what} (no internet?). {OFFLINE_HINT}")
    try:
        return Path(untar_data(url))
    except Exception as err:  # fastai raises URLError, HTTPError, tarfile errors...
        raise DataError(f"downloading {what} failed: {err}. {OFFLINE_HINT}") from err


def download_pets() -> Path:
    """The Pets images folder, downloaded by fastai."""
    from fastai.data.external import URLs

    return download(URLs.PETS, "Oxford-IIIT Pets") / "images"


def write_fashion(dest: Path, n: int = OFFLINE_IMAGES) -> Path:
    """Draw photos of `n` of the shipped lesson items (a fixed choice) and write them as PNGs in the Pets
    layout, once (`write_folder_once`: safe when several processes prepare the same folder at once)."""
    images, labels, test_index = fashion_mnist.lesson_images()
    keep = np.random.RandomState(0).permutation(len(labels))[:n]
    names = {i: f"{fashion_mnist.FILE_STEMS[int(labels[i])]}_{int(test_index[i]):05d}.png" for i in keep}

    def write(folder: Path) -> None:
        for i, name in names.items():
            Image.fromarray(photos.render(images[i], int(test_index[i]))).save(folder / name)

    return write_folder_once(Path(dest), lambda folder: _holds_exactly(folder, names.values()), write)


def write_folder_once(dest: Path, complete: Callable[[Path], bool], write: Callable[[Path], None]) -> Path:
    """`dest` as `write(folder)` makes it, unless `complete(dest)` already holds.

    Safe when several processes (two lesson kernels, a training run) prepare the same folder at once: one
    of them writes a hidden temporary folder under a file lock and renames it into place; the others wait
    for it and use its copy. A complete folder is never deleted; an incomplete one is set aside, then removed.
    """
    from filelock import FileLock

    if complete(dest):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(dest.parent / f".{dest.name}.lock"):
        if complete(dest):  # another process made it while this one waited
            return dest
        for leftover in dest.parent.glob(f".{dest.name}.tmp-*"):  # from a run that was killed
            shutil.rmtree(leftover, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
        write(tmp)
        if dest.exists():  # an incomplete or altered copy: set it aside, then remove it
            dest.rename(Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent)) / "old")
        tmp.rename(dest)
        for leftover in dest.parent.glob(f".{dest.name}.tmp-*"):
            shutil.rmtree(leftover, ignore_errors=True)
    return dest


def _holds_exactly(folder: Path, names) -> bool:
    try:
        return {p for p in os.listdir(folder) if p.endswith(".png")} == set(names)
    except OSError:
        return False


def offline_pets() -> Path:
    """The offline stand-in for Pets: 2,500 photos of five classes of Fashion-MNIST (test-split items)."""
    return write_fashion(data_root() / f"fashion-photos-{photos.LESSON.tag}")


def pets_path(mode: Mode) -> Path:
    return offline_pets() if mode.offline else download_pets()


def image_files(path: Path) -> list[Path]:
    """The images under `path`, checked: a missing folder, no images or unreadable files are errors."""
    from fastai.data.transforms import get_image_files

    path = Path(path)
    if not path.is_dir():
        raise DataError(f"image folder {path} does not exist; check the path, or use offline mode")
    files = list(get_image_files(path))
    if not files:
        raise DataError(f"no image files (.jpg, .png, ...) in {path}")
    if error := unreadable_images(files):
        raise error
    return files


def unreadable_images(files: list[Path]) -> DataError | None:
    """The error for the files of `files` that do not open as images (None when all do)."""
    from fastai.vision.utils import verify_images

    return _files_error(
        [Path(f) for f in verify_images(files)], "image file(s)", "cannot be read", "Delete or replace"
    )


def misnamed(files: list[Path], pattern: str = BREED_PATTERN) -> DataError | None:
    """The error for files whose names do not give a label by `pattern` (None when all do)."""
    bad = [Path(f) for f in files if not re.match(pattern, Path(f).name)]
    return _files_error(bad, "file name(s)", "are not CLASS_NUMBER.jpg (or .png)", "Rename or remove")


def _files_error(bad: list[Path], what: str, problem: str, fix: str) -> DataError | None:
    if not bad:
        return None
    names = ", ".join(f.name for f in bad[:10]) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
    return DataError(f"{len(bad)} {what} in {bad[0].parent} {problem}: {names}. {fix} them, then run again.")


AUGMENT = "default"  # pets_dataloaders' batch transforms unless told otherwise: fastai's aug_transforms


def pets_config(mode: Mode, size: int | None = None) -> DataConfig:
    """The mode's data settings; `size` sets the final image size (and the presize in proportion)."""
    cfg = OFFLINE if mode.offline else FULL
    if size is None or size == cfg.size:
        return cfg
    return dataclasses.replace(cfg, item_size=round(size * cfg.item_size / cfg.size), size=size)


def default_augmentation(cfg: DataConfig):
    from fastai.vision.augment import aug_transforms

    return aug_transforms(size=cfg.size, min_scale=cfg.min_scale, do_flip=cfg.flip)


def pets_dataloaders(
    path: Path,
    mode: Mode,
    label: str = "breed",
    seed: int = 42,
    batch_size: int | None = None,
    size: int | None = None,
    batch_tfms=AUGMENT,
):
    """The lessons' Pets DataLoaders (the same fastai call lesson 2 shows), for the comparisons over seeds:
    a random validation set (`seed`), presizing, augmentation (fastai's `aug_transforms` unless
    `batch_tfms` says otherwise; None: none), read through the cache of `dlcourse.fast.cached`."""
    from fastai.vision.augment import Resize
    from fastai.vision.data import ImageDataLoaders

    from dlcourse.fast import cached

    cfg = pets_config(mode, size)
    files = image_files(path)
    common = dict(
        valid_pct=cfg.valid_pct,
        seed=seed,
        item_tfms=Resize(cfg.item_size),
        batch_tfms=default_augmentation(cfg) if batch_tfms == AUGMENT else batch_tfms,
        bs=batch_size or cfg.batch_size,
        val_bs=cfg.valid_batch_size or batch_size or cfg.batch_size,
        **({"num_workers": cfg.num_workers} if cfg.num_workers is not None else {}),
    )
    if label == "breed":
        if error := misnamed(files):
            raise error
        dls = ImageDataLoaders.from_name_re(path, files, BREED_PATTERN, **common)
    elif label == "cat":
        dls = ImageDataLoaders.from_name_func(path, files, is_cat, **common)
    else:
        raise ValueError(f"label must be 'breed' or 'cat', got {label!r}")
    return cached(dls)
