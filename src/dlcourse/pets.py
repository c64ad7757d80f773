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
from pathlib import Path

import numpy as np
from PIL import Image

from dlcourse import fashion_mnist, photos
from dlcourse.data import data_root, download, image_files, misnamed, write_folder_once
from dlcourse.fast import cached
from dlcourse.mode import Mode
from dlcourse.settings import DataConfig, data_settings

BREED_PATTERN = r"^(.+)_\d+\.(?:jpg|jpeg|png)$"
OFFLINE_IMAGES = 2500  # the offline lesson set: 500 for training, 2,000 for validation


def is_cat(name: str) -> bool:
    """Pets' naming rule: cat breeds start with a capital letter (offline: odd digits)."""
    return name[0].isupper()


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

    return write_folder_once(Path(dest), dict.fromkeys(names.values()), write)


def offline_pets() -> Path:
    """The offline stand-in for Pets: 2,500 photos of five classes of Fashion-MNIST (test-split items)."""
    return write_fashion(data_root() / f"fashion-photos-{photos.LESSON.tag}")


def pets_path(mode: Mode) -> Path:
    return offline_pets() if mode.offline else download_pets()


AUGMENT = "default"  # pets_dataloaders' batch transforms unless told otherwise: fastai's aug_transforms


def pets_config(mode: Mode, size: int | None = None) -> DataConfig:
    """The mode's data settings; `size` sets the final image size (and the presize in proportion)."""
    cfg = data_settings("pets", mode)
    if size is None or size == cfg.size:
        return cfg
    return dataclasses.replace(cfg, item_size=round(size * cfg.item_size / cfg.size), size=size)


def default_augmentation(cfg: DataConfig):
    from fastai.vision.augment import aug_transforms

    return aug_transforms(size=cfg.size, min_scale=cfg.min_scale, do_flip=cfg.flip)


def pets_block(cfg: DataConfig, label: str = "breed", seed: int = 42, batch_tfms=AUGMENT):
    """The DataBlock fastai's `ImageDataLoaders.from_name_re` (label "breed") or `from_name_func(is_cat)`
    (label "cat") builds, with the settings `cfg`: a random validation set (`seed`), presizing, and
    augmentation (fastai's `aug_transforms` unless `batch_tfms` says otherwise; None: none)."""
    from fastai.data.block import CategoryBlock, DataBlock
    from fastai.data.transforms import RandomSplitter, RegexLabeller
    from fastai.vision.augment import Resize
    from fastai.vision.data import ImageBlock
    from fastcore.basics import using_attr

    labellers = {"breed": lambda: RegexLabeller(BREED_PATTERN), "cat": lambda: is_cat}
    if label not in labellers:
        raise ValueError(f"label must be 'breed' or 'cat', got {label!r}")
    return DataBlock(
        blocks=(ImageBlock, CategoryBlock),
        get_y=using_attr(labellers[label](), "name"),  # labelled by the file's name, as from_name_* do
        splitter=RandomSplitter(cfg.valid_pct, seed=seed),
        item_tfms=Resize(cfg.item_size),
        batch_tfms=default_augmentation(cfg) if batch_tfms == AUGMENT else batch_tfms,
    )


def pets_dataloaders(
    path: Path,
    mode: Mode,
    label: str = "breed",
    seed: int = 42,
    batch_size: int | None = None,
    size: int | None = None,
    batch_tfms=AUGMENT,
):
    """The lessons' Pets DataLoaders for the comparisons over seeds: `pets_block`'s, read through the cache
    of `dlcourse.fast.cached`; every file is checked first (unreadable images, names without a label)."""
    cfg = pets_config(mode, size)
    files = image_files(path)
    if label == "breed" and (error := misnamed(files, BREED_PATTERN)):
        raise error
    dls = pets_block(cfg, label, seed, batch_tfms).dataloaders(
        files,
        path=path,
        bs=batch_size or cfg.batch_size,
        val_bs=cfg.valid_batch_size or batch_size or cfg.batch_size,
        **({"num_workers": cfg.num_workers} if cfg.num_workers is not None else {}),
    )
    return cached(dls)
