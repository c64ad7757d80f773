"""Convolution kernels and two hand-written 2-D convolutions (lesson 1).

Deep learning's "convolution" is a cross-correlation: slide a kernel over the
image, multiply element-wise with the patch under it, sum, and write the sum to
one pixel of the activation map. `conv2d_loop` does exactly that, one output
pixel at a time; `conv2d_im2col` does the same arithmetic as one matrix product.

Shapes (both functions):
    image    (H, W) or (C, H, W)
    kernels  (kh, kw) or (C, kh, kw)   one kernel   -> output (H', W')
             (K, C, kh, kw)            K kernels    -> output (K, H', W')
"""

from __future__ import annotations

import math

import numpy as np

_NAMED = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "box blur": np.full((3, 3), 1 / 9),
    "gaussian blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16,
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "outline": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "sobel x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
}
KERNEL_NAMES: tuple[str, ...] = tuple(_NAMED)


class ConvShapeError(ValueError):
    """An image, kernel, stride or padding that cannot be convolved, with the fix."""


def kernel(name: str) -> np.ndarray:
    """A fresh float64 copy of the named 3x3 kernel (see `KERNEL_NAMES`)."""
    if name not in _NAMED:
        raise KeyError(f"unknown kernel {name!r}; choose one of {', '.join(KERNEL_NAMES)}")
    return np.array(_NAMED[name], dtype=np.float64)


def output_size(n: int, k: int, padding: int = 0, stride: int = 1) -> int:
    """Length of the output along one axis: floor((n + 2p - k) / s) + 1."""
    _check_stride_padding(stride, padding)
    for name, size in (("input size", n), ("kernel size", k)):
        if not isinstance(size, (int, np.integer)) or size < 1:
            raise ConvShapeError(f"{name} must be a whole number >= 1, got {size!r}")
    if k > n + 2 * padding:
        raise ConvShapeError(
            f"kernel size {k} is larger than the padded input {n} + 2*{padding} = "
            f"{n + 2 * padding}; use a smaller kernel or more padding"
        )
    return math.floor((n + 2 * padding - k) / stride) + 1


def relu(x: np.ndarray) -> np.ndarray:
    """Keep positive responses, set negative ones to zero."""
    return np.maximum(x, 0)


def worked_sum(patch: np.ndarray, kern: np.ndarray, digits: int = 2) -> str:
    """The multiply-and-sum of one patch written out term by term."""
    patch, kern = np.asarray(patch, dtype=float), np.asarray(kern, dtype=float)
    if patch.shape != kern.shape:
        raise ConvShapeError(f"patch {patch.shape} and kernel {kern.shape} must have the same shape")
    terms = [f"({k:g}×{p:.{digits}f})" for p, k in zip(patch.ravel(), kern.ravel(), strict=True)]
    return " + ".join(terms) + f" = {float((patch * kern).sum()):.{digits}f}"


def conv2d_loop(image: np.ndarray, kernels: np.ndarray, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Readable convolution: one output pixel at a time, patch * kernel, summed."""
    padded, kernels, (out_h, out_w), squeeze = _prepare(image, kernels, stride, padding)
    n_kernels, _, kh, kw = kernels.shape
    out = np.zeros((n_kernels, out_h, out_w), dtype=np.result_type(padded, kernels))
    for k in range(n_kernels):
        for i in range(out_h):
            for j in range(out_w):
                top, left = i * stride, j * stride
                patch = padded[:, top : top + kh, left : left + kw]
                out[k, i, j] = (patch * kernels[k]).sum()
    return out[0] if squeeze else out


def conv2d_im2col(image: np.ndarray, kernels: np.ndarray, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Vectorized convolution: gather every patch as a column (im2col), then one matmul."""
    padded, kernels, (out_h, out_w), squeeze = _prepare(image, kernels, stride, padding)
    n_kernels, channels, kh, kw = kernels.shape
    # windows[c, i, j, a, b] = padded[c, i*stride + a, j*stride + b]  (a view, no copy)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(1, 2))
    windows = windows[:, : out_h * stride : stride, : out_w * stride : stride]
    # columns: one row per kernel entry (c, a, b), one column per output pixel (i, j)
    columns = windows.transpose(0, 3, 4, 1, 2).reshape(channels * kh * kw, out_h * out_w)
    out = kernels.reshape(n_kernels, -1) @ columns
    out = out.reshape(n_kernels, out_h, out_w)
    return out[0] if squeeze else out


def _check_stride_padding(stride: int, padding: int) -> None:
    if not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ConvShapeError(f"stride must be a whole number >= 1, got {stride!r}")
    if not isinstance(padding, (int, np.integer)) or padding < 0:
        raise ConvShapeError(f"padding must be a whole number >= 0, got {padding!r}")


def _array(values, name: str) -> np.ndarray:
    try:
        return np.asarray(values)
    except ValueError as err:  # nested lists of different lengths
        raise ConvShapeError(f"{name} has rows of different lengths: give every row the same length") from err


def _prepare(image, kernels, stride, padding) -> tuple[np.ndarray, np.ndarray, tuple[int, int], bool]:
    """Check every shape; return the zero-padded (C, H, W) image, (K, C, kh, kw) kernels, output size
    and whether the caller gave a single kernel (then its output has no K axis)."""
    _check_stride_padding(stride, padding)
    image, kernels = _array(image, "image"), _array(kernels, "kernels")
    for name, arr in (("image", image), ("kernels", kernels)):
        if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
            raise ConvShapeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if image.ndim == 2:
        image = image[None]
    elif image.ndim != 3:
        raise ConvShapeError(f"image must be (H, W) or (C, H, W), got shape {image.shape}")
    squeeze = kernels.ndim in (2, 3)
    if kernels.ndim == 2:
        kernels = kernels[None, None]
    elif kernels.ndim == 3:
        kernels = kernels[None]
    elif kernels.ndim != 4:
        raise ConvShapeError(
            f"kernels must be (kh, kw), (C, kh, kw) or (K, C, kh, kw), got shape {kernels.shape}"
        )
    if kernels.shape[1] != image.shape[0]:
        raise ConvShapeError(
            f"kernels have {kernels.shape[1]} channel(s) but the image has {image.shape[0]}: "
            "give each kernel one slice per image channel"
        )
    for name, arr in (("image", image), ("kernels", kernels)):
        if 0 in arr.shape:
            raise ConvShapeError(
                f"{name} of shape {arr.shape} has an axis of size 0: every axis needs 1 or more"
            )
    (_, h, w), (_, _, kh, kw) = image.shape, kernels.shape
    if kh > h + 2 * padding or kw > w + 2 * padding:
        raise ConvShapeError(
            f"kernel {kh}x{kw} is larger than the padded image {h + 2 * padding}x{w + 2 * padding} "
            f"(image {h}x{w}, padding {padding}); use a smaller kernel or more padding"
        )
    dtype = np.result_type(image, kernels, np.float32)
    image, kernels = image.astype(dtype, copy=False), kernels.astype(dtype, copy=False)
    padded = np.pad(image, ((0, 0), (padding, padding), (padding, padding))) if padding else image
    out_size = (output_size(h, kh, padding, stride), output_size(w, kw, padding, stride))
    return padded, kernels, out_size, squeeze
