"""Multi-label classification: Planet's layout, its offline stand-in, and its loss and metrics by hand.

Full mode: fastai's sample of Planet (`untar_data(URLs.PLANET_SAMPLE)`): satellite tiles in `train/`
(`train_0.jpg`, ...) and `labels.csv` with columns `image_name,tags`, the tags space-separated
(`haze primary water`).

Offline mode: mosaics in the same layout. Each 56×56 image is a 2×2 grid of 28×28 cells holding 0 to
4 Fashion-MNIST photos of the lesson classes (test split), the other cells black; its tags are the
classes present, sorted (`ankle-boot sandal`), or `empty` when no cell holds one. They are RGB JPEGs,
like Planet's files, so that the lesson's `suff='.jpg'` and 3-channel models serve both; JPEG's loss
is a few grey levels on these images.

A multi-label model gives one logit per tag; sigmoid turns each into a probability on its own, and the
loss is binary cross-entropy, tag by tag. A threshold turns probabilities into predicted tags.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from dlcourse import fashion_mnist
from dlcourse.data import DataError, data_root, download, write_folder_once
from dlcourse.mode import Mode
from dlcourse.settings import DataConfig, data_settings

CELL = 28  # a Fashion-MNIST photo
GRID = 2  # cells per side: 56×56 images
OFFLINE_MOSAICS = 2000  # Planet's sample has 1,000
EMPTY_TAG = "empty"  # an empty cell in labels.csv reads as NaN in pandas, which fastai's ColReader rejects
TAG_NAMES = {c: fashion_mnist.CLASSES[c].lower().replace(" ", "-") for c in fashion_mnist.LESSON_CLASSES}
IMAGE_FOLDER = "train"  # as in planet_sample.tgz (Kaggle's full data set calls it train-jpg)
DEFAULT_THRESHOLDS = np.round(np.linspace(0.05, 0.95, 19), 2)


def config(mode: Mode) -> DataConfig:
    """The mode's data settings: sizes, batch sizes, the validation share, augmentation (Planet's tiles,
    seen from above, also flip top to bottom)."""
    return data_settings("planet", mode)


# --- the offline data set ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mosaic:
    name: str  # image_name in labels.csv; the file is train/{name}.jpg
    cells: tuple[int, ...]  # the filled cells, 0 1 / 2 3 (row by row)
    items: tuple[int, ...]  # for each filled cell, its photo's index in `fashion_mnist.lesson_images()`

    def tags(self, labels: np.ndarray) -> str:
        """The classes present, sorted and space-separated; `empty` when there are none."""
        return " ".join(sorted({TAG_NAMES[int(labels[i])] for i in self.items})) or EMPTY_TAG


def plan_mosaics(n: int, n_photos: int, seed: int = 0) -> list[Mosaic]:
    """`n` mosaics, the same for the same arguments: 0-4 filled cells (equally likely), each a photo drawn
    at random from `n_photos` (with replacement, so a class may appear twice)."""
    rng = np.random.default_rng(seed)
    plans = []
    for i in range(n):
        filled = int(rng.integers(0, GRID * GRID + 1))
        cells = tuple(int(c) for c in np.sort(rng.choice(GRID * GRID, size=filled, replace=False)))
        items = tuple(int(j) for j in rng.integers(0, n_photos, size=filled))
        plans.append(Mosaic(f"train_{i}", cells, items))
    return plans


def render(mosaic: Mosaic, photos: np.ndarray) -> np.ndarray:
    """The mosaic as a (56, 56) uint8 array: each photo in its cell, black elsewhere."""
    canvas = np.zeros((GRID * CELL, GRID * CELL), dtype=np.uint8)
    for cell, item in zip(mosaic.cells, mosaic.items, strict=True):
        row, col = divmod(cell, GRID)
        canvas[row * CELL : (row + 1) * CELL, col * CELL : (col + 1) * CELL] = photos[item]
    return canvas


def labels_csv(mosaics: list[Mosaic], labels: np.ndarray) -> str:
    """labels.csv's text, as in Planet: `image_name,tags`."""
    return "image_name,tags\n" + "".join(f"{m.name},{m.tags(labels)}\n" for m in mosaics)


def write_mosaics(dest: Path, n: int = OFFLINE_MOSAICS, seed: int = 0) -> Path:
    """`n` mosaics in Planet's layout under `dest`, written once, safely when processes race (as
    `dlcourse.pets.write_fashion`); a copy with other images or other labels is replaced."""
    photos, labels, _ = fashion_mnist.lesson_images()
    mosaics = plan_mosaics(n, len(labels), seed)
    csv = labels_csv(mosaics, labels)
    expected = {"labels.csv": csv, **{f"{IMAGE_FOLDER}/{m.name}.jpg": None for m in mosaics}}

    def write(folder: Path) -> None:
        for m in mosaics:
            image = Image.fromarray(render(m, photos)).convert("RGB")
            image.save(folder / IMAGE_FOLDER / f"{m.name}.jpg", quality=95)
        (folder / "labels.csv").write_text(csv)

    return write_folder_once(Path(dest), expected, write)


def offline_planet() -> Path:
    """The offline stand-in for Planet's sample: 2,000 mosaics of Fashion-MNIST photos."""
    return write_mosaics(data_root() / "fashion-mosaics")


def download_planet() -> Path:
    """Planet's sample folder (labels.csv, train/), downloaded by fastai."""
    from fastai.data.external import URLs

    return download(URLs.PLANET_SAMPLE, "fastai's Planet sample")


def planet_path(mode: Mode) -> Path:
    return offline_planet() if mode.offline else download_planet()


def read_labels(path: Path) -> pd.DataFrame:
    """`labels.csv` of a folder in Planet's layout, checked: every image it names is in `train/`."""
    path = Path(path)
    if not (path / "labels.csv").is_file():
        raise DataError(f"no labels.csv in {path}: is this Planet's folder? Or use offline mode")
    df = pd.read_csv(path / "labels.csv")
    present = set(os.listdir(path / IMAGE_FOLDER)) if (path / IMAGE_FOLDER).is_dir() else set()
    if missing := [name for name in df.image_name if f"{name}.jpg" not in present]:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise DataError(
            f"{len(missing)} image(s) named in {path / 'labels.csv'} are not in {path / IMAGE_FOLDER}: "
            f"{', '.join(f'{name}.jpg' for name in missing[:5])}{more}"
        )
    return df


# --- loss and metrics by hand ------------------------------------------------------------------------------


def _array(x) -> np.ndarray:
    """A float64 numpy array from numpy, lists or (fastai) torch tensors."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=float)


def sigmoid(x) -> np.ndarray:
    """1 / (1 + exp(-x)), computed from exp(-|x|) so that no exponential overflows."""
    x = _array(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def binary_cross_entropy_with_logits(logits, targets) -> float:
    """Mean over every image and tag of -[y log p + (1 - y) log(1 - p)], p = sigmoid(logit).

    Computed as max(x, 0) - x y + log(1 + exp(-|x|)), the same value rearranged: never log(0), so a
    confident logit (x = 100) gives its true loss, not infinity. Targets may be soft (between 0 and 1).
    """
    x, y = _array(logits), _array(targets)
    return float((np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))).mean())


def _probabilities(preds, use_sigmoid: bool) -> np.ndarray:
    return sigmoid(preds) if use_sigmoid else _array(preds)


def accuracy_multi(preds, targets, thresh: float = 0.5, sigmoid: bool = True) -> float:
    """The share of (image, tag) pairs predicted right, a tag predicted when its probability is
    above `thresh` (strictly, as in fastai). `sigmoid=False`: `preds` are probabilities already."""
    predicted = _probabilities(preds, sigmoid) > thresh
    return float((predicted == _array(targets).astype(bool)).mean())


def fbeta(
    preds,
    targets,
    beta: float = 2.0,
    thresh: float = 0.5,
    sigmoid: bool = True,
    average: str = "samples",
    zero_division: float = 0.0,
) -> float:
    """F-beta = (1 + b²) TP / ((1 + b²) TP + b² FN + FP): beta = 2 weighs a missed tag four times a
    wrong one. A tag is predicted when its probability is at least `thresh` (fastai's `FBetaMulti`
    thresholds with >=, unlike `accuracy_multi`'s >).

    average: 'samples' (Planet's score: each image's F, then the mean), 'macro' (each tag's F, then
    the mean) or 'micro' (the counts summed first). An image (or tag) with nothing predicted and
    nothing true has no F: it counts as `zero_division`, as in sklearn (0 by default, which is what
    fastai's metric gives; nan leaves it out of the mean). Nothing predicted for an image that has
    tags is not that case: it scores 0.
    """
    predicted = _probabilities(preds, sigmoid) >= thresh
    actual = _array(targets).astype(bool)
    if predicted.shape != actual.shape or predicted.ndim != 2:
        raise ValueError(f"preds and targets must be (images, tags), got {predicted.shape}, {actual.shape}")
    axis = {"samples": 1, "macro": 0, "micro": None}[average]
    tp = (predicted & actual).sum(axis=axis)
    weighted = beta**2 * actual.sum(axis=axis) + predicted.sum(axis=axis)  # (1 + b²) TP + b² FN + FP
    scores = np.atleast_1d(
        np.where(weighted > 0, (1 + beta**2) * tp / np.where(weighted > 0, weighted, 1), zero_division)
    ).astype(float)
    defined = scores[~np.isnan(scores)]
    return float(defined.mean()) if len(defined) else float("nan")


def threshold_sweep(
    probs, targets, thresholds: Iterable[float] = DEFAULT_THRESHOLDS, beta: float = 2.0
) -> pd.DataFrame:
    """F-beta (per image) and accuracy at each threshold, for probabilities (as `learn.get_preds` gives
    them with fastai's multi-label loss, which applies the sigmoid)."""
    rows = [
        {
            "threshold": float(t),
            "fbeta": fbeta(probs, targets, beta=beta, thresh=t, sigmoid=False),
            "accuracy": accuracy_multi(probs, targets, thresh=t, sigmoid=False),
        }
        for t in thresholds
    ]
    return pd.DataFrame(rows, columns=["threshold", "fbeta", "accuracy"])


def best_threshold(sweep: pd.DataFrame, metric: str = "fbeta") -> float:
    """The threshold with the highest `metric` in a `threshold_sweep` (the lowest one on ties)."""
    return float(sweep.threshold.iloc[int(np.argmax(sweep[metric].to_numpy()))])


# --- the learner's outputs, and what a threshold chosen on them is worth -----------------------------------


def raw_outputs(learn, dl=None) -> tuple[np.ndarray, np.ndarray]:
    """(logits, targets) of every image of `dl` (default: the validation set), in its order, as float
    arrays: the model's raw outputs, before the sigmoid that `learn.get_preds` applies."""
    import torch

    logits, targets = learn.get_preds(dl=dl, act=lambda x: x)
    return _array(logits.float() if isinstance(logits, torch.Tensor) else logits), _array(targets)


def tags_of(row, vocab, thresh: float | None = None) -> str:
    """The tags of one row of targets (0/1), or of probabilities above `thresh`, space-separated."""
    row = _array(row)
    chosen = row > thresh if thresh is not None else row.astype(bool)
    return " ".join(str(t) for t, keep in zip(vocab, chosen, strict=True) if keep) or "(none)"


def worked_bce(logits, targets, vocab) -> pd.DataFrame:
    """One image's logits worked through the sigmoid and binary cross-entropy, tag by tag: the loss of a
    tag is -log(p) when it is present and -log(1 - p) when it is absent."""
    x, y = _array(logits), _array(targets)
    p = sigmoid(x)
    return pd.DataFrame(
        {
            "tag": list(vocab),
            "present": y.astype(int),
            "logit": x,
            "sigmoid p": p,
            "loss": np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x))),
        }
    )


def softmax_vs_sigmoid(logits, targets, vocab) -> pd.DataFrame:
    """One image's logits read two ways: softmax (the tags compete, the column adds up to 1) and sigmoid
    (each tag on its own)."""
    from dlcourse.softmax import softmax

    x = _array(logits)
    return pd.DataFrame(
        {
            "tag": list(vocab),
            "present": _array(targets).astype(int),
            "softmax": softmax(x),
            "sigmoid": sigmoid(x),
        }
    )


def argmax_tags(logits) -> np.ndarray:
    """What a single-label reading predicts: one tag per image, the one with the largest output."""
    x = _array(logits)
    return (np.arange(x.shape[-1]) == x.argmax(-1)[..., None]).astype(float)


def as_table(metrics: pd.DataFrame):
    """A training table for reading: losses and F-beta to four decimals, accuracy as a percentage."""
    formats = {c: "{:.4f}" for c in ("train_loss", "valid_loss", "fbeta_score") if c in metrics}
    if "accuracy_multi" in metrics:
        formats["accuracy_multi"] = "{:.1%}"
    return metrics.style.format(formats).hide(axis="index")


def threshold_halves(
    probs,
    targets,
    splits: int = 200,
    seed: int = 0,
    thresholds: Iterable[float] = DEFAULT_THRESHOLDS,
    beta: float = 2.0,
) -> pd.DataFrame:
    """How optimistic a threshold chosen on the data it is scored on is. For each of `splits` random halvings
    of the images: the threshold that scores best on the first half ("choosing"), its F-beta there, and the
    F-beta of that same threshold on the other half ("held out"), which played no part in the choice."""
    p, y = _array(probs), _array(targets)
    rng = np.random.default_rng(seed)
    thresholds = list(thresholds)
    rows = []
    for split in range(splits):
        order = rng.permutation(len(p))
        choose, held = order[: len(p) // 2], order[len(p) // 2 :]
        sweep = threshold_sweep(p[choose], y[choose], thresholds, beta)
        t = best_threshold(sweep)
        rows.append(
            {
                "split": split,
                "threshold": t,
                "choosing": float(sweep.fbeta.max()),
                "held_out": fbeta(p[held], y[held], beta=beta, thresh=t, sigmoid=False),
            }
        )
    return pd.DataFrame(rows)
