"""Variant makers for computed quiz questions: fn(rng) -> (parameters, answer).

The answer always comes from running the library code the lesson teaches.
"""

from __future__ import annotations

import random

import numpy as np

from dlcourse import kernels


def conv_output_size(rng: random.Random) -> tuple[dict, int]:
    """Output width of a convolution for a random n, k, padding, stride."""
    while True:
        n, k = rng.choice([5, 6, 7, 8, 9, 12, 28, 32, 64, 224]), rng.choice([1, 3, 5, 7])
        p, s = rng.choice([0, 1, 2, 3]), rng.choice([1, 2, 3])
        if k <= n + 2 * p:
            return {"n": n, "k": k, "p": p, "s": s}, kernels.output_size(n, k, padding=p, stride=s)


def same_padding(rng: random.Random) -> tuple[dict, int]:
    """Padding that keeps the size unchanged at stride 1 for an odd kernel size k."""
    k = rng.choice([3, 5, 7, 9, 11])
    n = rng.choice([16, 28, 32])
    padding = next(p for p in range(k) if kernels.output_size(n, k, padding=p) == n)
    return {"k": k, "n": n}, padding


def kernel_on_patch(rng: random.Random) -> tuple[dict, float]:
    """A named kernel applied to a small integer patch: the activation at the centre."""
    name = rng.choice(["sobel x", "sobel y", "sharpen", "outline", "emboss", "identity"])
    patch = np.array([[rng.randint(0, 9) for _ in range(3)] for _ in range(3)])
    value = float(kernels.conv2d_loop(patch, kernels.kernel(name))[0, 0])
    return {"name": name, "kernel": _grid(kernels.kernel(name)), "patch": _grid(patch)}, value


def kernel_weights(rng: random.Random) -> tuple[dict, int]:
    """Number of weights in a bank of K kernels of size k x k over C input channels."""
    n_kernels, channels, k = rng.choice([8, 16, 32, 64]), rng.choice([1, 3, 16, 32]), rng.choice([1, 3, 5])
    bank = np.zeros((n_kernels, channels, k, k))
    return {"K": n_kernels, "C": channels, "k": k}, int(bank.size)


def activation_shape_channels(rng: random.Random) -> tuple[dict, int]:
    """Channels of the activation stack a bank of kernels produces from an image."""
    channels, n_kernels, size = rng.choice([1, 3]), rng.choice([2, 4, 6, 8]), rng.choice([6, 8])
    image = np.zeros((channels, size, size))
    out = kernels.conv2d_im2col(image, np.zeros((n_kernels, channels, 3, 3)), padding=1)
    return {"C": channels, "K": n_kernels, "H": size}, out.shape[0]


def relu_count(rng: random.Random) -> tuple[dict, int]:
    """How many entries of an activation map survive a ReLU (stay above zero)."""
    values = [rng.randint(-5, 5) for _ in range(9)]
    grid = np.array(values).reshape(3, 3)
    return {"grid": _grid(grid)}, int((kernels.relu(grid) > 0).sum())


def _grid(values: np.ndarray) -> str:
    """A small array as a markdown code block."""
    rows = ["  ".join(f"{v:>3g}" for v in row) for row in np.asarray(values, dtype=float)]
    return "\n\n```\n" + "\n".join(rows) + "\n```\n\n"
