"""Variant makers for the computed questions of quiz 01 (`quiz/01_convolutions.yml`)."""

from __future__ import annotations

import random

import numpy as np

from dlcourse import kernels, pooling, receptive_field
from dlcourse.quiz.bank import Variant
from dlcourse.quiz.variants.common import _grid


def conv_output_size(rng: random.Random) -> Variant:
    """Output width of a convolution for a random n, k, padding, stride."""
    while True:
        n, k = rng.choice([5, 6, 7, 8, 9, 12, 28, 32, 64, 224]), rng.choice([1, 3, 5, 7])
        p, s = rng.choice([0, 1, 2, 3]), rng.choice([1, 2, 3])
        if k <= n + 2 * p:
            return Variant({"n": n, "k": k, "p": p, "s": s}, kernels.output_size(n, k, padding=p, stride=s))


def same_padding(rng: random.Random) -> Variant:
    """Padding that keeps the size unchanged at stride 1 for an odd kernel size k."""
    k = rng.choice([3, 5, 7, 9, 11])
    n = rng.choice([16, 28, 32])
    padding = next(p for p in range(k) if kernels.output_size(n, k, padding=p) == n)
    return Variant({"k": k, "n": n}, padding)


def kernel_on_patch(rng: random.Random) -> Variant:
    """A named kernel applied to a small integer patch: the activation at the centre."""
    name = rng.choice(["sobel x", "sobel y", "sharpen", "outline", "emboss"])
    weights = kernels.kernel(name)
    patch = np.array([[rng.randint(0, 9) for _ in range(3)] for _ in range(3)])
    value = float(kernels.conv2d_loop(patch, weights)[0, 0])
    products = " + ".join(
        f"{w:g}×{x}" if w > 0 else f"({w:g})×{x}"
        for w, x in zip(weights.ravel(), patch.ravel(), strict=True)
        if w
    )
    return Variant(
        {"name": name, "kernel": _grid(weights), "patch": _grid(patch), "products": products}, value
    )


def kernel_weights(rng: random.Random) -> Variant:
    """Number of weights in a bank of K kernels of size k x k over C input channels."""
    n_kernels, channels, k = rng.choice([8, 16, 32, 64]), rng.choice([1, 3, 16, 32]), rng.choice([1, 3, 5])
    bank = np.zeros((n_kernels, channels, k, k))
    return Variant({"K": n_kernels, "C": channels, "k": k}, int(bank.size))


def bank_output_channels(rng: random.Random) -> Variant:
    """Channels a layer outputs, from its number of weights: each kernel spans every input channel and
    writes one map, so the output has one channel per kernel (weights / (C × 3 × 3))."""
    while True:
        channels, n_kernels = rng.choice([3, 8, 16, 32]), rng.choice([4, 6, 10, 12, 20, 48])
        if channels != n_kernels:
            break
    size = rng.choice([28, 32, 64])
    bank = np.zeros((n_kernels, channels, 3, 3))
    out = kernels.conv2d_im2col(np.zeros((channels, size, size)), bank, padding=1)
    return Variant(
        {
            "C": channels,
            "H": size,
            "weights": f"{bank.size:,}",
            "per_kernel": channels * 9,
        },
        out.shape[0],
        mistakes={
            "one map per 3×3 slice (weights / 9)": bank.size // 9,
            "as many channels as the input": channels,
        },
    )


def relu_count(rng: random.Random) -> Variant:
    """How many entries of an activation map survive a ReLU (stay above zero)."""
    grid = np.array([rng.randint(-5, 5) for _ in range(9)]).reshape(3, 3)
    kept = kernels.relu(grid)
    positives = ", ".join(str(v) for v in kept.ravel() if v > 0) or "none"
    return Variant({"grid": _grid(grid), "positives": positives}, int((kept > 0).sum()))


def pooled_value(rng: random.Random) -> Variant:
    """One output of 2×2 max or average pooling (stride 2) of a 4×4 map."""
    grid = np.array([[rng.randint(0, 9) for _ in range(4)] for _ in range(4)])
    kind = rng.choice(["max", "average"])
    row, col = rng.randint(0, 1), rng.randint(0, 1)
    pooled = (pooling.max_pool if kind == "max" else pooling.avg_pool)(grid, 2)
    window = grid[2 * row : 2 * row + 2, 2 * col : 2 * col + 2]
    other = pooling.avg_pool(grid, 2) if kind == "max" else pooling.max_pool(grid, 2)
    return Variant(
        {
            "kind": kind,
            "grid": _grid(grid),
            "where": ["top", "bottom"][row] + "-" + ["left", "right"][col],
            "window": ", ".join(str(v) for v in window.ravel()),
        },
        float(pooled[row, col]),
        mistakes={"the other kind of pooling": float(other[row, col])}
        if other[row, col] != pooled[row, col]
        else {},
    )


LAYERS = {"conv 3×3, stride 1": (3, 1), "conv 3×3, stride 2": (3, 2), "max pool 2×2, stride 2": (2, 2)}


def stack_receptive_field(rng: random.Random) -> Variant:
    """Receptive field of one output pixel after a random stack of 3 or 4 layers."""
    names = [rng.choice(list(LAYERS)) for _ in range(rng.choice([3, 4]))]
    table = receptive_field.receptive_fields([(name, *LAYERS[name]) for name in names])
    steps = ["r = 1, j = 1"] + [
        f"{row.layer}: r = {row.receptive_field}, j = {row.jump}" for row in table.itertuples()
    ]
    answer = int(table.receptive_field.iloc[-1])
    return Variant({"layers": "; then ".join(names), "steps": "; ".join(steps)}, answer)
