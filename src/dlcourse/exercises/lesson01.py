"""Lesson 1's exercises: a convolution by loops, the output size, max pooling. References: torch."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from dlcourse.exercises.core import Case, Exercise, Mistake


def _torch_conv2d(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    x = torch.as_tensor(image, dtype=torch.float64)[None, None]
    w = torch.as_tensor(kernel, dtype=torch.float64)[None, None]
    return F.conv2d(x, w)[0, 0].numpy()


def _conv_cases() -> list[Case]:
    rng = np.random.default_rng(1)
    ramp = np.arange(25, dtype=float).reshape(5, 5)
    return [
        Case("a 3×3 image and a 3×3 kernel: one output pixel", (np.arange(9.0).reshape(3, 3), np.eye(3))),
        Case("a 5×5 ramp and a lopsided 3×3 kernel", (ramp, np.array([[1.0, 2, 0], [0, 0, 0], [0, 0, -1]]))),
        Case("a tall 6×4 image and a 2×3 kernel", (rng.normal(size=(6, 4)), rng.normal(size=(2, 3)))),
        Case("a random 9×7 image and a 3×3 kernel", (rng.normal(size=(9, 7)), rng.normal(size=(3, 3)))),
        Case(
            "a 28×28 image (Fashion-MNIST's size) and a 5×5 kernel",
            (rng.random((28, 28)), rng.normal(size=(5, 5))),
        ),
    ]


CONV2D = Exercise(
    id="01.conv2d",
    title="A convolution by loops",
    function="conv2d",
    prompt=(
        "Write `conv2d(image, kernel)`: slide the kernel over every position where it fits inside the image "
        "(stride 1, no padding), multiply it with the patch under it and sum. `image` is a 2-D NumPy array "
        "of height H and width W, `kernel` a 2-D array of kh × kw; return a 2-D array of "
        "(H − kh + 1) × (W − kw + 1). The check compares your result with PyTorch's `F.conv2d`."
    ),
    starter='''def conv2d(image, kernel):
    """image: (H, W) array; kernel: (kh, kw) array. Returns (H - kh + 1, W - kw + 1)."""
    raise NotImplementedError
''',
    solution='''import numpy as np


def conv2d(image, kernel):
    """image: (H, W) array; kernel: (kh, kw) array. Returns (H - kh + 1, W - kw + 1)."""
    kh, kw = kernel.shape
    out_h, out_w = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    out = np.zeros((out_h, out_w))
    for i in range(out_h):  # the top row of the patch
        for j in range(out_w):  # its left column
            patch = image[i : i + kh, j : j + kw]
            out[i, j] = (patch * kernel).sum()  # the kernel as it is: no flip, as in PyTorch
    return out
''',
    hints=(
        "The output has one pixel for each place the kernel fits: `image.shape[0] - kh + 1` rows and "
        "`image.shape[1] - kw + 1` columns. Make an array of zeros of that shape first.",
        "Two loops, over the output's rows `i` and columns `j`. The patch under the kernel is "
        "`image[i:i + kh, j:j + kw]`.",
        "Each output pixel is `(patch * kernel).sum()`. Do not flip the kernel: deep learning libraries "
        "compute this un-flipped version (mathematicians call it cross-correlation) and call it convolution.",
    ),
    reference=_torch_conv2d,
    cases=_conv_cases,
    mistakes=(
        Mistake(
            "Your result is the convolution with the kernel turned by 180°. PyTorch does not flip the "
            "kernel: multiply each patch by the kernel as it is.",
            """import numpy as np
def conv2d(image, kernel):
    kernel = kernel[::-1, ::-1]
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = (image[i:i + kh, j:j + kw] * kernel).sum()
    return out
""",
        ),
        Mistake(
            "Your output is one row and one column short: the kernel fits H − kh + 1 times down and "
            "W − kw + 1 times across, so the loops need `range(H - kh + 1)`.",
            """import numpy as np
def conv2d(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh, image.shape[1] - kw))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = (image[i:i + kh, j:j + kw] * kernel).sum()
    return out
""",
        ),
        Mistake(
            "Your output has the image's own size, so you padded it with zeros. This exercise asks for "
            "no padding: only positions where the whole kernel lies inside the image.",
            """import numpy as np
def conv2d(image, kernel):
    kh, kw = kernel.shape
    padded = np.pad(image, ((kh // 2, (kh - 1) // 2), (kw // 2, (kw - 1) // 2)))
    out = np.zeros(image.shape)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = (padded[i:i + kh, j:j + kw] * kernel).sum()
    return out
""",
        ),
    ),
)


def torch_output_size(n: int, k: int, stride: int = 1, padding: int = 0) -> int:
    """The width of `F.conv2d`'s output on an n × n image of zeros with a k × k kernel."""
    x, w = torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k)
    return F.conv2d(x, w, stride=stride, padding=padding).shape[-1]


def _rounded_wrong(case: Case, expected, received) -> bool:
    """Whether the result is the number of steps left unrounded, or rounded up or to the nearest, plus 1."""
    n, k = case.args
    steps = (n + 2 * case.kwargs.get("padding", 0) - k) / case.kwargs.get("stride", 1)
    return float(received) in {steps + 1, math.ceil(steps) + 1, round(steps) + 1}


def _size_cases() -> list[Case]:
    return [
        Case("28 pixels, 3×3 kernel", (28, 3)),
        Case("28 pixels, 3×3 kernel, padding 1", (28, 3), {"padding": 1}),
        Case("28 pixels, 3×3 kernel, stride 2, padding 1", (28, 3), {"stride": 2, "padding": 1}),
        Case(
            "224 pixels, 7×7 kernel, stride 2, padding 3 (a ResNet's first layer)",
            (224, 7),
            {"stride": 2, "padding": 3},
        ),
        Case(
            "6 pixels, 3×3 kernel, stride 2, padding 1: the last step does not fit",
            (6, 3),
            {"stride": 2, "padding": 1},
        ),
        Case("10 pixels, 4×4 kernel, stride 3", (10, 4), {"stride": 3}),
        Case("a kernel as big as the image", (5, 5)),
    ]


OUTPUT_SIZE = Exercise(
    id="01.output_size",
    title="The output size of a convolution",
    function="output_size",
    prompt=(
        "Write `output_size(n, k, stride=1, padding=0)`: how many pixels wide the output of a convolution "
        "is, for an input `n` pixels wide, a `k`-wide kernel, the given stride and zero padding on each "
        "side. Return a whole number (an `int`). The check runs PyTorch's `F.conv2d` on an image of zeros "
        "and reads the width of what comes out."
    ),
    starter='''def output_size(n, k, stride=1, padding=0):
    """Width of the output for an n-wide input and a k-wide kernel."""
    raise NotImplementedError
''',
    solution='''def output_size(n, k, stride=1, padding=0):
    """Width of the output for an n-wide input and a k-wide kernel."""
    padded = n + 2 * padding  # padding is added on both sides
    # the kernel's left edge can start at 0, stride, 2*stride, ... up to padded - k:
    # (padded - k) // stride steps after the first position, so one more positions in all
    return (padded - k) // stride + 1
''',
    hints=(
        "Padding p adds p pixels on the left *and* p on the right: the kernel slides over n + 2p pixels.",
        "With stride 1 the kernel fits n + 2p − k + 1 times. With stride s it moves s pixels at a time: "
        "count the steps it can take from the first position before it would stick out.",
        "Steps are whole: use floor division `//`. The answer is `(n + 2 * padding - k) // stride + 1`.",
    ),
    reference=torch_output_size,
    cases=_size_cases,
    mistakes=(
        Mistake(
            "You counted the steps but not the first position: add 1.",
            "def output_size(n, k, stride=1, padding=0):\n    return (n + 2 * padding - k) // stride\n",
        ),
        Mistake(
            "Padding goes on both sides of the image: the padded width is n + 2 × padding.",
            "def output_size(n, k, stride=1, padding=0):\n    return (n + padding - k) // stride + 1\n",
        ),
        Mistake(
            "A kernel cannot take part of a step: round the number of steps down with `//`, not up or to "
            "the nearest, and return an int.",
            "import math\ndef output_size(n, k, stride=1, padding=0):\n"
            "    return math.ceil((n + 2 * padding - k) / stride) + 1\n",
            detect=_rounded_wrong,
        ),
    ),
    atol=0,
    rtol=0,
)


def _torch_max_pool(x: np.ndarray, size: int) -> np.ndarray:
    return F.max_pool2d(torch.as_tensor(x, dtype=torch.float64)[None, None], size)[0, 0].numpy()


def _pool_cases() -> list[Case]:
    rng = np.random.default_rng(2)
    return [
        Case("a 4×4 map, 2×2 windows", (np.arange(16.0).reshape(4, 4), 2)),
        Case("a 6×6 map, 3×3 windows", (rng.normal(size=(6, 6)), 3)),
        Case(
            "a 5×5 map, 2×2 windows: the last row and column fit no whole window",
            (rng.normal(size=(5, 5)), 2),
        ),
        Case("a map of negative numbers only", (-rng.random((4, 6)) - 1, 2)),
        Case("a random 8×10 map, 2×2 windows", (rng.normal(size=(8, 10)), 2)),
    ]


MAX_POOL = Exercise(
    id="01.max_pool",
    title="Max pooling",
    function="max_pool",
    prompt=(
        "Write `max_pool(x, size)`: split the 2-D array `x` into `size` × `size` windows that do not "
        "overlap (the stride equals the window size, as in `nn.MaxPool2d(size)`) and keep the largest value "
        "of each. Rows and columns at the edge that do not fill a whole window are dropped. The check "
        "compares your result with PyTorch's `F.max_pool2d`."
    ),
    starter='''def max_pool(x, size):
    """x: (H, W) array. Returns (H // size, W // size): the largest value of each window."""
    raise NotImplementedError
''',
    solution='''import numpy as np


def max_pool(x, size):
    """x: (H, W) array. Returns (H // size, W // size): the largest value of each window."""
    out_h, out_w = x.shape[0] // size, x.shape[1] // size  # only whole windows
    out = np.empty((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = x[i * size : (i + 1) * size, j * size : (j + 1) * size]  # the stride is the size
            out[i, j] = window.max()  # not 0 as a starting value: maps can be all negative
    return out
''',
    hints=(
        "The output has `x.shape[0] // size` rows and `x.shape[1] // size` columns: only whole windows "
        "count.",
        "Window (i, j) covers rows `i * size` to `(i + 1) * size` and the same for columns: the windows "
        "step by `size`, so they do not overlap.",
        "Take `window.max()`. If you keep a running maximum instead, start it from the window's first "
        "value, not from 0: a map can be negative everywhere.",
    ),
    reference=_torch_max_pool,
    cases=_pool_cases,
    mistakes=(
        Mistake(
            "These are the windows' means: that is average pooling. Max pooling keeps each window's "
            "largest value.",
            """import numpy as np
def max_pool(x, size):
    h, w = x.shape[0] // size, x.shape[1] // size
    return x[:h * size, :w * size].reshape(h, size, w, size).mean(axis=(1, 3))
""",
        ),
        Mistake(
            "Your windows overlap (they move one pixel at a time). With `nn.MaxPool2d(size)` the stride "
            "equals the window size, so each pixel belongs to one window.",
            """import numpy as np
def max_pool(x, size):
    out = np.empty((x.shape[0] - size + 1, x.shape[1] - size + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = x[i:i + size, j:j + size].max()
    return out
""",
        ),
        Mistake(
            "Your maximum starts at 0, so a window of negative numbers gives 0. Start from the window's "
            "own values (`window.max()`).",
            """import numpy as np
def max_pool(x, size):
    out = np.zeros((x.shape[0] // size, x.shape[1] // size))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            best = 0.0
            for v in x[i * size:(i + 1) * size, j * size:(j + 1) * size].ravel():
                best = max(best, v)
            out[i, j] = best
    return out
""",
        ),
    ),
)

EXERCISES = [CONV2D, OUTPUT_SIZE, MAX_POOL]
