"""The one-cycle schedule, re-derived: cosine warm-up then cosine annealing of the LR, momentum opposite.

Matches fastai's `fit_one_cycle`: over the first `pct_start` of training the LR rises from
lr_max/div to lr_max and momentum falls from moms[0] to moms[1]; then the LR falls to
lr_max/div_final and momentum climbs back to moms[2].
"""

from __future__ import annotations

import math

import numpy as np


def cos_anneal(start: float, end: float, pos: float) -> float:
    """Cosine interpolation from `start` (pos=0) to `end` (pos=1)."""
    return start + (1 + math.cos(math.pi * (1 - pos))) * (end - start) / 2


def two_phase(pos: float, pct_start: float, start: float, middle: float, end: float) -> float:
    if pos < pct_start:
        return cos_anneal(start, middle, pos / pct_start)
    return cos_anneal(middle, end, (pos - pct_start) / (1 - pct_start))


def group_lrs(lr_max: float | slice, n_groups: int) -> np.ndarray:
    """One peak LR per parameter group: a float for all, or slice(lo, hi) spread geometrically."""
    if not isinstance(lr_max, slice):
        return np.full(n_groups, float(lr_max))
    if lr_max.start is None:  # fastai: slice(hi) gives hi/10 to all groups but the last
        return np.array([lr_max.stop / 10] * (n_groups - 1) + [lr_max.stop])
    if n_groups == 1:
        return np.array([float(lr_max.stop)])
    return lr_max.start * (lr_max.stop / lr_max.start) ** (np.arange(n_groups) / (n_groups - 1))


def one_cycle(
    n_steps: int,
    lr_max: float | slice,
    n_groups: int = 1,
    div: float = 25.0,
    div_final: float = 1e5,
    pct_start: float = 0.25,
    moms: tuple[float, float, float] = (0.95, 0.85, 0.95),
) -> tuple[np.ndarray, np.ndarray]:
    """LR (steps x groups) and momentum (steps) for each of `n_steps` training steps."""
    peaks = group_lrs(lr_max, n_groups)
    positions = np.arange(n_steps) / n_steps
    lrs = np.array(
        [[two_phase(p, pct_start, peak / div, peak, peak / div_final) for peak in peaks] for p in positions]
    )
    mom = np.array([two_phase(p, pct_start, *moms) for p in positions])
    return lrs, mom
