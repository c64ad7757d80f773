"""Pooling by hand: summarise each k×k window of an activation map by its maximum or its mean.

Pooling has no weights. With window k and stride k it divides the height and width by k, so the layers
after it see a wider area for the same kernel size; max pooling also keeps a strong response when the
input moves by less than a window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dlcourse.kernels import ConvShapeError


def _windows(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """(..., H', W', size, size) view of every window (no padding: fastai and torch default to none)."""
    x = np.asarray(x, dtype=float)
    if (
        not isinstance(size, (int, np.integer))
        or size < 1
        or not isinstance(stride, (int, np.integer))
        or stride < 1
    ):
        raise ConvShapeError(
            f"window size and stride must be whole numbers >= 1, got {size!r} and {stride!r}"
        )
    if x.ndim < 2 or min(x.shape[-2:]) < size:
        raise ConvShapeError(f"a {size}x{size} window does not fit in a map of shape {x.shape}")
    view = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(-2, -1))
    return view[..., ::stride, ::stride, :, :]


def max_pool(x: np.ndarray, size: int = 2, stride: int | None = None) -> np.ndarray:
    """The largest value of each window (like `torch.nn.functional.max_pool2d`)."""
    return _windows(x, size, stride or size).max(axis=(-2, -1))


def avg_pool(x: np.ndarray, size: int = 2, stride: int | None = None) -> np.ndarray:
    """The mean of each window (like `torch.nn.functional.avg_pool2d`)."""
    return _windows(x, size, stride or size).mean(axis=(-2, -1))


def shifted_input(activation: np.ndarray, shifts=(1, 2, 3, 4), size: int = 2) -> pd.DataFrame:
    """How much a map changes when its input moves right by a few pixels, before and after max pooling.

    For each shift: the mean absolute change of the map itself and of its max-pooled version, each as a
    share of that map's mean absolute value (so the two are comparable).
    """
    activation = np.asarray(activation, dtype=float)
    width = activation.shape[-1] - max(shifts)
    width -= width % size
    base = activation[..., :width]
    rows = []
    for shift in shifts:
        moved = activation[..., shift : shift + width]
        raw = np.abs(moved - base).mean() / np.abs(base).mean()
        pooled_base = max_pool(base, size)
        pooled = np.abs(max_pool(moved, size) - pooled_base).mean() / np.abs(pooled_base).mean()
        rows.append({"shift (pixels)": shift, "change of the map": raw, "change after max pooling": pooled})
    return pd.DataFrame(rows)
