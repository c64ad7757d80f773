"""The data settings of every data set in each mode, in one table, read through one function.

`data_settings("pets", mode)` is what a lesson's `pets_config(mode)` (or `ml.config`, `seg.config`,
`text.config`) returns. A rehearsal of full mode on a CPU shrinks the full-mode settings without changing
the lessons: it starts the lesson's kernel with `DLCOURSE_SHRINK=BATCH_SIZExSIZE` (for example `4x64`),
which `data_settings` reads (`SHRINK`). Nothing else changes them while a lesson runs.
"""

from __future__ import annotations

import dataclasses
import os
from contextlib import contextmanager
from dataclasses import dataclass

from dlcourse import photos
from dlcourse.mode import Mode

SHRINK = "DLCOURSE_SHRINK"  # BATCH_SIZExSIZE: full mode's batches and images made small (rehearsals only)


@dataclass(frozen=True)
class DataConfig:
    """An image data set's settings."""

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


@dataclass(frozen=True)
class TextConfig:
    """A text data set's settings."""

    batch_size: int
    seq_len: int  # tokens per row of a language-model batch (fastai's bptt)
    max_vocab: int
    lm_drop_mult: float
    classifier_drop_mult: float


OFFLINE_MOSAIC = 56  # pixels per side of the offline Planet mosaics and CamVid scenes: 2×2 photos

TABLE: dict[tuple[str, str], DataConfig | TextConfig] = {
    ("pets", "full"): DataConfig(
        item_size=256, size=224, batch_size=64, flip=True, num_workers=None, valid_pct=0.2
    ),
    # Offline, most images validate: 2,000 of them, so one image moves the error rate by 0.05 points. The
    # items fill most of each 40-pixel photo: there random crops cost accuracy (docs/offline.md), so
    # offline augmentation makes none.
    ("pets", "offline"): DataConfig(
        item_size=photos.LESSON.canvas,
        size=photos.LESSON.canvas,
        batch_size=16,
        flip=True,
        num_workers=0,
        valid_pct=0.8,
        valid_batch_size=256,
        min_scale=1.0,
    ),
    # Planet's tiles are seen from above, so they also flip vertically. Offline, no random crop: on a
    # 56-pixel mosaic it could cut a photo out while its tag stays.
    ("planet", "full"): DataConfig(
        item_size=256,
        size=224,
        batch_size=64,
        flip=True,
        num_workers=None,
        valid_pct=0.2,
        flip_vert=True,
        max_warp=0.0,
    ),
    ("planet", "offline"): DataConfig(
        item_size=OFFLINE_MOSAIC,
        size=OFFLINE_MOSAIC,
        batch_size=64,
        flip=True,
        num_workers=0,
        valid_pct=0.2,
        valid_batch_size=256,
        min_scale=1.0,
        max_warp=0.0,
    ),
    # CamVid's 960×720 photos are resized to 480×360; the offline scenes keep their 56 pixels, without
    # zoom or warp (on so few pixels a warp moves the outlines the masks draw).
    ("camvid", "full"): DataConfig(
        item_size=(360, 480), size=360, batch_size=8, flip=True, num_workers=None, valid_pct=0.2
    ),
    ("camvid", "offline"): DataConfig(
        item_size=OFFLINE_MOSAIC,
        size=OFFLINE_MOSAIC,
        batch_size=8,
        flip=True,
        num_workers=0,
        valid_pct=0.2,
        valid_batch_size=64,
        max_zoom=1.0,
        max_warp=0.0,
    ),
    ("imdb", "full"): TextConfig(
        batch_size=64, seq_len=72, max_vocab=60000, lm_drop_mult=0.3, classifier_drop_mult=0.5
    ),
    ("imdb", "offline"): TextConfig(
        batch_size=32, seq_len=72, max_vocab=4000, lm_drop_mult=0.3, classifier_drop_mult=0.5
    ),
}


def data_settings(dataset: str, mode: Mode) -> DataConfig | TextConfig:
    """The settings of `dataset` ("pets", "planet", "camvid" or "imdb") in `mode`, shrunk in full mode
    when the process was started with `DLCOURSE_SHRINK`."""
    if (dataset, mode.name) not in TABLE:
        known = sorted({name for name, _ in TABLE})
        raise KeyError(f"no settings for {dataset!r} in {mode.name} mode; data sets: {', '.join(known)}")
    cfg = TABLE[(dataset, mode.name)]
    shrink = os.environ.get(SHRINK, "")
    return shrunk(cfg, *parse_shrink(shrink)) if shrink and not mode.offline else cfg


def parse_shrink(text: str) -> tuple[int, int]:
    try:
        batch_size, size = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"{SHRINK} must be BATCH_SIZExSIZE, such as 4x64; got {text!r}") from None
    return batch_size, size


def shrunk(cfg: DataConfig | TextConfig, batch_size: int, size: int) -> DataConfig | TextConfig:
    """`cfg` with small batches of small images (texts: short rows), the presize margin kept where there
    is one: the full-mode code path at a fraction of the compute."""
    if isinstance(cfg, TextConfig):
        return dataclasses.replace(cfg, batch_size=batch_size, seq_len=16)
    item_size = size if isinstance(cfg.item_size, tuple) or cfg.item_size == cfg.size else size + size // 7
    return dataclasses.replace(cfg, batch_size=batch_size, item_size=item_size, size=size)


@contextmanager
def environment(values: dict[str, str]):
    """Run the block with the environment variables `values` set, then restore them as they were; fastai's
    config (read once per process from FASTAI_HOME) follows."""
    from fastai.data.external import fastai_cfg

    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    fastai_cfg.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)
        fastai_cfg.cache_clear()
