"""Lesson 11's exercises: a convolution's output width, batch norm in training, a 1×1 convolution as a
matrix product. References: torch (`F.conv2d` and `F.batch_norm`)."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from dlcourse.exercises.core import Case, Exercise, Mistake, agrees
from dlcourse.exercises.lesson01 import torch_output_size

# --- the output width of a convolution ---------------------------------------------------------------------


def _size_cases() -> list[Case]:
    rng = np.random.default_rng(11)
    cases = [
        Case("28 pixels, 3×3 kernel, nn.Conv2d's defaults", (28, 3)),
        Case("simple_cnn's first layer: 28 pixels, 5×5 kernel, stride 2, padding 2", (28, 5, 2, 2)),
        Case("its second: 14 pixels, 3×3 kernel, stride 2, padding 1", (14, 3, 2, 1)),
        Case("its third: 7 pixels, an odd width", (7, 3, 2, 1)),
        Case("its fourth: 4 pixels, the last step does not fit", (4, 3, 2, 1)),
        Case("its fifth: 2 pixels down to one position", (2, 3, 2, 1)),
        Case("a 1×1 kernel: the width stays", (7, 1)),
        Case("a kernel as wide as the input, no padding", (5, 5)),
        Case("10 pixels, 4×4 kernel, stride 3, padding 1", (10, 4, 3, 1)),
    ]
    for _ in range(3):
        ks = int(rng.choice([1, 2, 3, 4, 5, 7]))
        n, stride, padding = (
            int(rng.integers(ks, 65)),
            int(rng.integers(1, 4)),
            int(rng.integers(0, ks // 2 + 1)),
        )
        cases.append(
            Case(
                f"random: {n} pixels, {ks}×{ks} kernel, stride {stride}, padding {padding}",
                (n, ks, stride, padding),
            )
        )
    return cases


def _size_args(case: Case) -> tuple[int, int, int, int]:
    return (*case.args, 1, 0)[:4] if len(case.args) != 3 else (*case.args, 0)


def _padding_wrong(case: Case, expected, received) -> bool:
    """Whether the result counts the padding once, or not at all."""
    n, ks, stride, padding = _size_args(case)
    return float(received) in {(n + padding - ks) // stride + 1, (n - ks) // stride + 1}


def _rounded_wrong(case: Case, expected, received) -> bool:
    """Whether the result is the number of steps as a fraction, or rounded up or to the nearest, plus 1."""
    n, ks, stride, padding = _size_args(case)
    steps = (n + 2 * padding - ks) / stride
    return float(received) in {steps + 1, math.ceil(steps) + 1, round(steps) + 1}


CONV_OUTPUT_SIZE = Exercise(
    id="11.conv_output_size",
    title="How wide a convolution's output is",
    function="conv_output_size",
    prompt=(
        "Write `conv_output_size(n, ks, stride=1, padding=0)`: how many positions wide the output of a "
        "convolution is, for an input `n` pixels wide, a kernel `ks` pixels wide, the kernel moving `stride` "
        "pixels at a time and `padding` zeros added on each side (the defaults are `nn.Conv2d`'s). All four "
        "are ints; return an int. The lesson's `conv` uses stride 2 and padding `ks // 2`, which is how "
        "`simple_cnn` goes 28 → 14 → 7 → 4 → 2 → 1, but your function should work for any stride and "
        "padding. The check runs PyTorch's `F.conv2d` with the same kernel width, stride and padding on a "
        "row of `n` zeros and reads the width of what comes out."
    ),
    starter='''def conv_output_size(n, ks, stride=1, padding=0):
    """The output width of a convolution on an n-wide input with a ks-wide kernel. Returns an int."""
    raise NotImplementedError
''',
    solution='''def conv_output_size(n, ks, stride=1, padding=0):
    """The output width of a convolution on an n-wide input with a ks-wide kernel. Returns an int."""
    padded = n + 2 * padding  # the zeros go on the left and on the right
    # the kernel's left edge can start at 0, stride, 2 * stride, ... as long as it ends inside: at most
    # padded - ks. That is (padded - ks) // stride whole steps after the first position, so one more in all.
    return (padded - ks) // stride + 1
''',
    hints=(
        "Padding puts `padding` zeros on the left and as many on the right: the kernel slides over "
        "`n + 2 * padding` pixels.",
        "The kernel's left edge can sit at 0, `stride`, `2 * stride`, ... as long as the whole kernel "
        "still fits, so up to `n + 2 * padding - ks`. Count those positions, the first one included.",
        "A kernel moves by whole steps only: `(n + 2 * padding - ks) // stride` steps after the first "
        "position, plus 1 for the first. For simple_cnn's first layer, `(28 + 4 - 5) // 2 + 1` is 14.",
    ),
    reference=torch_output_size,
    cases=_size_cases,
    mistakes=(
        Mistake(
            "You counted the steps the kernel takes but not the position it starts from: add 1.",
            "def conv_output_size(n, ks, stride=1, padding=0):\n"
            "    return (n + 2 * padding - ks) // stride\n",
        ),
        Mistake(
            "You divided the input width by the stride and left out the kernel and the padding. "
            '"Stride 2 halves the width" is only roughly true, with padding `ks // 2`: 7 pixels give 4 '
            "positions, not 3. Count where the kernel's left edge can start.",
            "def conv_output_size(n, ks, stride=1, padding=0):\n    return n // stride\n",
        ),
        Mistake(
            "You divided the stride-1 width, n + 2 × padding − ks + 1, by the stride. The stride spaces out "
            "the steps after the first position, and that first position counts once, whatever the stride: "
            "divide the steps, then add 1.",
            "def conv_output_size(n, ks, stride=1, padding=0):\n"
            "    return (n + 2 * padding - ks + 1) // stride\n",
        ),
        Mistake(
            "Count the padding on both sides: `padding` zeros go on the left and as many on the right, so "
            "the kernel slides over n + 2 × padding pixels (not n + padding, and not n).",
            "def conv_output_size(n, ks, stride=1, padding=0):\n"
            "    return (n + padding - ks) // stride + 1\n",
            detect=_padding_wrong,
        ),
        Mistake(
            "The kernel moves by whole steps only: when the last step would stick out of the padded input "
            "it is not taken. Round the number of steps down with `//` (not `/`, not up, not to the "
            "nearest) and return an int.",
            "import math\ndef conv_output_size(n, ks, stride=1, padding=0):\n"
            "    return math.ceil((n + 2 * padding - ks) / stride) + 1\n",
            detect=_rounded_wrong,
        ),
    ),
    rtol=0,
    atol=0,
)


# --- batch norm in training --------------------------------------------------------------------------------


def _torch_batchnorm_train(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float = 1e-5):
    return F.batch_norm(x, None, None, weight, bias, training=True, eps=eps)


def _channels(*means_and_spreads: tuple[float, float]) -> torch.Tensor:
    """The channels' means and spreads, each shaped (1, channels, 1, 1) to line up with a batch."""
    return torch.tensor(means_and_spreads).T[:, None, :, None, None]


def _bn_cases() -> list[Case]:
    g = torch.Generator().manual_seed(11)
    shift, scale = _channels((1.0, 1.0), (-3.0, 0.5), (10.0, 4.0))

    def channels_apart(*shape: int) -> torch.Tensor:  # 3 channels, each with its own mean and spread
        return torch.randn(*shape, generator=g) * scale + shift

    dead = torch.relu(torch.randn(4, 3, 3, 3, generator=g) * 2)
    dead[:, 1] = 0.0  # a channel a ReLU has turned off everywhere
    tiny = torch.randn(4, 2, 3, 3, generator=g) * 1e-3  # values about 0.001 apart
    return [
        Case(
            "2 items, 3 channels with different means and spreads, 2×2 maps",
            (channels_apart(2, 3, 2, 2), torch.tensor([1.0, 2.0, 0.5]), torch.tensor([0.0, 1.0, -1.0])),
        ),
        Case(
            "a batch of 1 item", (channels_apart(1, 3, 3, 3), torch.tensor([1.5, 1.0, 0.5]), torch.zeros(3))
        ),
        Case(
            "channel 1 is all zeros, as a dead ReLU leaves it: its variance is 0",
            (dead, torch.tensor([1.0, 2.0, 3.0]), torch.tensor([0.1, 0.2, 0.3])),
        ),
        Case(
            "values about 0.001 apart: a variance of about 1e-6, smaller than eps",
            (tiny, torch.tensor([1.0, 1.0]), torch.tensor([0.0, 0.5])),
        ),
        Case(
            "eps = 0.1",
            (0.3 * torch.randn(8, 2, 4, 4, generator=g), torch.tensor([2.0, 0.5]), torch.tensor([1.0, 0.0])),
            {"eps": 0.1},
        ),
        Case(
            "weight 1 and bias 0, nn.BatchNorm2d's starting values",
            (channels_apart(4, 3, 5, 5), torch.ones(3), torch.zeros(3)),
        ),
        Case(
            "a negative weight",
            (channels_apart(3, 3, 4, 4), torch.tensor([-1.0, 0.5, -2.0]), torch.tensor([0.3, -0.3, 1.0])),
        ),
        Case(
            "random: the lesson's cell, 16 items × 8 channels × 14 × 14",
            (
                torch.randn(16, 8, 14, 14, generator=g) * 3 + 1,
                torch.rand(8, generator=g) + 0.5,
                torch.randn(8, generator=g),
            ),
        ),
        Case(
            "random: 8 items × 16 channels × 7 × 7, each channel with its own mean and spread",
            (
                torch.randn(8, 16, 7, 7, generator=g) * (torch.rand(16, 1, 1, generator=g) * 3 + 0.1)
                + torch.randn(16, 1, 1, generator=g) * 5,
                torch.randn(16, generator=g),
                torch.randn(16, generator=g),
            ),
        ),
    ]


def _bn_double(case: Case):
    """x, weight and bias in float64 (weight and bias shaped (1, channels, 1, 1)), eps, and a function that
    normalises each channel of a tensor with its own batch statistics, as batch norm does."""
    x, weight, bias = (a.double() for a in case.args[:3])
    eps = case.kwargs.get("eps", 1e-5)

    def normalise(t):
        mean, var = t.mean(dim=(0, 2, 3), keepdim=True), t.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
        return (t - mean) / torch.sqrt(var + eps)

    return x, weight[None, :, None, None], bias[None, :, None, None], eps, normalise


def _bn_wrong_order(case: Case, expected, received) -> bool:
    """Whether the result normalises after weight and bias, leaves them out, or adds the bias first."""
    x, w, b, eps, normalise = _bn_double(case)
    wrong = (normalise(x * w + b), normalise(x), (normalise(x) + b) * w)
    return any(agrees(received, result) for result in wrong)


def _bn_eps_misplaced(case: Case, expected, received) -> bool:
    """Whether the result is batch norm with eps left out, or added outside the square root."""
    x, w, b, eps, _ = _bn_double(case)
    mean = x.mean(dim=(0, 2, 3), keepdim=True)
    std = x.var(dim=(0, 2, 3), unbiased=False, keepdim=True).sqrt()
    return any(agrees(received, (x - mean) / d * w + b) for d in (std, std + eps))


BATCHNORM_TRAIN = Exercise(
    id="11.batchnorm_train",
    title="Batch norm in training",
    function="batchnorm_train",
    prompt=(
        "Write `batchnorm_train(x, weight, bias, eps=1e-5)`: what a batch-norm layer (`nn.BatchNorm2d`) "
        "outputs while training. `x` is a float tensor of shape (batch, channels, height, width); `weight` "
        "and `bias` are tensors with one value per channel, and `eps` a small float. Each channel is "
        "normalised with the statistics of this batch: the mean and the variance of all that channel's "
        "values, over the items, the height and the width together, the variance being the mean squared "
        "distance from the mean (divided by the number of values n, not n − 1). Then "
        "`(x - mean) / sqrt(var + eps)` is scaled by the channel's `weight` and shifted by its `bias`. "
        "Return a tensor of the shape of `x`. Write it with tensor operations (`mean`, `var`, `sqrt`, "
        "broadcasting), not with `F.batch_norm` or `nn.BatchNorm2d`: the check compares your result with "
        "`F.batch_norm(x, None, None, weight, bias, training=True, eps=eps)`, which keeps no running "
        "statistics."
    ),
    starter='''def batchnorm_train(x, weight, bias, eps=1e-5):
    """x: (batch, channels, height, width); weight, bias: (channels,). Returns a tensor of x's shape."""
    raise NotImplementedError
''',
    solution='''import torch


def batchnorm_train(x, weight, bias, eps=1e-5):
    """x: (batch, channels, height, width); weight, bias: (channels,). Returns a tensor of x's shape."""
    # one mean and one variance per channel: over the items (0), the height (2) and the width (3);
    # keepdim=True leaves them of shape (1, channels, 1, 1), which lines up with x
    mean = x.mean(dim=(0, 2, 3), keepdim=True)
    var = x.var(dim=(0, 2, 3), unbiased=False, keepdim=True)  # divided by n: torch's default is n - 1
    normalised = (x - mean) / torch.sqrt(var + eps)  # eps inside the root: a constant channel gives 0
    # then each channel's own scale and shift, reshaped to (1, channels, 1, 1) as well
    return normalised * weight.view(1, -1, 1, 1) + bias.view(1, -1, 1, 1)
''',
    hints=(
        "A mean over several dimensions at once: `x.mean(dim=(0, 2, 3), keepdim=True)` is one mean per "
        "channel, of shape (1, channels, 1, 1), so it subtracts from every value of its own channel. "
        "Dimension 1, the channels, is the one you keep.",
        "`x.var` divides by n − 1 unless you pass `unbiased=False` (or compute `((x - mean) ** 2).mean(...)` "
        "over the same dimensions yourself). `eps` is added to the variance, inside the square root.",
        "`normalised = (x - mean) / torch.sqrt(var + eps)`, then "
        "`normalised * weight.view(1, -1, 1, 1) + bias.view(1, -1, 1, 1)`: without the `view`, a tensor of "
        "shape (channels,) would line up with the width instead.",
    ),
    reference=_torch_batchnorm_train,
    cases=_bn_cases,
    rtol=1e-4,
    atol=1e-5,
    mistakes=(
        Mistake(
            "You normalised with one mean and one variance for the whole tensor. Batch norm keeps one pair "
            "per channel: average over the items, the height and the width, `dim=(0, 2, 3)`, and keep the "
            "channels apart.",
            """import torch
def batchnorm_train(x, weight, bias, eps=1e-5):
    x_hat = (x - x.mean()) / torch.sqrt(x.var(unbiased=False) + eps)
    return x_hat * weight.view(1, -1, 1, 1) + bias.view(1, -1, 1, 1)
""",
        ),
        Mistake(
            "You normalised each item's channel with its own statistics, over the height and the width "
            "only: that is instance norm. Batch norm takes them over the whole batch, so include the items, "
            "`dim=(0, 2, 3)` (the two agree only for a batch of 1).",
            """import torch
def batchnorm_train(x, weight, bias, eps=1e-5):
    mean = x.mean(dim=(2, 3), keepdim=True)
    var = x.var(dim=(2, 3), unbiased=False, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * weight.view(1, -1, 1, 1) + bias.view(1, -1, 1, 1)
""",
        ),
        Mistake(
            "Your variance is divided by n − 1: `torch.var` does that unless you pass `unbiased=False`. "
            "Batch norm normalises with the variance divided by n (n − 1 goes only into the running "
            "variance it keeps for evaluation).",
            """import torch
def batchnorm_train(x, weight, bias, eps=1e-5):
    mean = x.mean(dim=(0, 2, 3), keepdim=True)
    var = x.var(dim=(0, 2, 3), keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * weight.view(1, -1, 1, 1) + bias.view(1, -1, 1, 1)
""",
        ),
        Mistake(
            "Your `weight` and `bias` are missing or in the wrong place. Normalise first, then multiply by "
            "`weight`, then add `bias`: `normalised * weight + bias`. Applied before normalising they are "
            "undone by it (every channel ends with mean 0 and spread 1 whatever they are), and a bias added "
            "before the multiplication gets multiplied too.",
            """import torch
def batchnorm_train(x, weight, bias, eps=1e-5):
    y = x * weight.view(1, -1, 1, 1) + bias.view(1, -1, 1, 1)
    mean = y.mean(dim=(0, 2, 3), keepdim=True)
    return (y - mean) / torch.sqrt(y.var(dim=(0, 2, 3), unbiased=False, keepdim=True) + eps)
""",
            detect=_bn_wrong_order,
        ),
        Mistake(
            "`eps` goes inside the square root, added to the variance: `sqrt(var + eps)`. Without it, a "
            "channel whose values are all equal (variance 0) gives 0 / 0, nan; outside the root, "
            "`sqrt(var) + eps`, it changes the result wherever the variance is small.",
            """import torch
def batchnorm_train(x, weight, bias, eps=1e-5):
    mean = x.mean(dim=(0, 2, 3), keepdim=True)
    var = x.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    return (x - mean) / torch.sqrt(var) * weight.view(1, -1, 1, 1) + bias.view(1, -1, 1, 1)
""",
            detect=_bn_eps_misplaced,
        ),
    ),
)


# --- a 1×1 convolution as a matrix product -----------------------------------------------------------------


def _torch_conv1x1(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    return F.conv2d(x, weight, bias)


def _conv1x1_cases() -> list[Case]:
    g = torch.Generator().manual_seed(12)

    def random(batch: int, c_in: int, c_out: int, h: int, w: int) -> tuple:
        return (
            torch.randn(batch, c_in, h, w, generator=g),
            torch.randn(c_out, c_in, 1, 1, generator=g) / math.sqrt(c_in),
            torch.randn(c_out, generator=g),
        )

    cases = [
        Case(
            "1 item, 2 channels in and 2 out, a 2×3 map",
            (
                torch.arange(12.0).reshape(1, 2, 2, 3),
                torch.tensor([[1.0, 2.0], [0.0, -1.0]]).reshape(2, 2, 1, 1),
                torch.tensor([0.5, -1.0]),
            ),
        ),
        Case("the lesson's cell: 2 items, 64 channels to 10 on a 7×7 map", random(2, 64, 10, 7, 7)),
        Case("more channels out than in: 4 items, 3 channels to 8 on a 5×6 map", random(4, 3, 8, 5, 6)),
        Case("as many channels out as in: 2 items, 8 to 8 on a 4×4 map", random(2, 8, 8, 4, 4)),
        Case("simple_cnn's last map: 3 items, 64 channels to 5 on a 1×1 map", random(3, 64, 5, 1, 1)),
        Case("a single output channel: 2 items, 4 channels to 1 on a 3×3 map", random(2, 4, 1, 3, 3)),
    ]
    rng = np.random.default_rng(12)
    for _ in range(2):
        b, c_in, c_out, h, w = (int(v) for v in rng.integers([1, 1, 1, 1, 1], [5, 33, 33, 9, 9]))
        cases.append(
            Case(
                f"random: {b} items, {c_in} channels to {c_out} on a {h}×{w} map",
                random(b, c_in, c_out, h, w),
            )
        )
    return cases


CONV1X1 = Exercise(
    id="11.conv1x1",
    title="A 1×1 convolution as a matrix product",
    function="conv1x1",
    prompt=(
        "A 1×1 convolution mixes the channels of each position with the same matrix and looks at no "
        "neighbours. Write `conv1x1(x, weight, bias)`: `x` is a float tensor of shape (batch, c_in, height, "
        "width), `weight` of shape (c_out, c_in, 1, 1) and `bias` of shape (c_out,), as "
        "`nn.Conv2d(c_in, c_out, kernel_size=1)` stores them. Return a tensor of shape (batch, c_out, "
        "height, width) whose value for item `b`, output channel `o` and position `(r, c)` is "
        "`(weight[o, :, 0, 0] * x[b, :, r, c]).sum() + bias[o]`. Compute it as one matrix product over the "
        "channels (`@`, `torch.matmul` or `torch.einsum`), without loops over the positions and without "
        "`F.conv2d` or `nn.Conv2d`: the check compares your result with `F.conv2d(x, weight, bias)`."
    ),
    starter='''def conv1x1(x, weight, bias):
    """x: (batch, c_in, h, w); weight: (c_out, c_in, 1, 1); bias: (c_out,). Returns (batch, c_out, h, w)."""
    raise NotImplementedError
''',
    solution='''def conv1x1(x, weight, bias):
    """x: (batch, c_in, h, w); weight: (c_out, c_in, 1, 1); bias: (c_out,). Returns (batch, c_out, h, w)."""
    w = weight[:, :, 0, 0]  # (c_out, c_in): row o says how much of each input channel goes into channel o
    pixels = x.permute(0, 2, 3, 1)  # (batch, h, w, c_in): the channels last, one row per position
    # @ multiplies the last two dimensions and treats the others as a batch: every position's c_in
    # channels times the (c_in, c_out) matrix w.T; the bias, of shape (c_out,), adds to the last dimension
    out = pixels @ w.T + bias  # (batch, h, w, c_out)
    return out.permute(0, 3, 1, 2)  # the channels back in second place: (batch, c_out, h, w)
''',
    hints=(
        "Put the channels last: `x.permute(0, 2, 3, 1)` has shape (batch, height, width, c_in), so every "
        "position is a row of c_in numbers. `weight[:, :, 0, 0]` is the (c_out, c_in) matrix.",
        "A row of c_in channels times a (c_in, c_out) matrix gives c_out channels: multiply by the transpose "
        "of the weight matrix, `.T`, not by the matrix itself. `@` works on the last two dimensions and "
        "does every position at once; a bias of shape (c_out,) then adds to the last dimension.",
        "`(x.permute(0, 2, 3, 1) @ weight[:, :, 0, 0].T + bias).permute(0, 3, 1, 2)`. Or in one call: "
        "`torch.einsum('oi,bihw->bohw', weight[:, :, 0, 0], x) + bias.view(1, -1, 1, 1)`.",
    ),
    reference=_torch_conv1x1,
    cases=_conv1x1_cases,
    rtol=1e-4,
    atol=1e-5,
    mistakes=(
        Mistake(
            "Your result lacks the bias: add `bias[o]` to every position of output channel o (with the "
            "channels last, `+ bias` does it).",
            """def conv1x1(x, weight, bias):
    return (x.permute(0, 2, 3, 1) @ weight[:, :, 0, 0].T).permute(0, 3, 1, 2)
""",
        ),
        Mistake(
            "Your channels are mixed with the wrong entries of the weight. `weight[o, i]` is how much input "
            "channel i gives output channel o, so a row of input channels is multiplied by the transpose, "
            "`weight[:, :, 0, 0].T`, of shape (c_in, c_out). Without it the product has the wrong shape "
            "when c_in differs from c_out, and the wrong values when they are equal; "
            "`.reshape(c_in, c_out)` gives the right shape but is not a transpose.",
            """def conv1x1(x, weight, bias):
    c_out, c_in = weight.shape[:2]
    out = x.permute(0, 2, 3, 1) @ weight.reshape(c_in, c_out) + bias
    return out.permute(0, 3, 1, 2)
""",
        ),
        Mistake(
            "Your rows mix the values of different positions: `x.reshape(batch, h * w, c_in)` does not move "
            "the channels last, it cuts the numbers as they lie in memory, one channel's whole map after "
            "the other. `x.permute(0, 2, 3, 1)` puts each position's channels in one row (and "
            "`.permute(0, 3, 1, 2)` puts them back).",
            """def conv1x1(x, weight, bias):
    b, c_in, h, w = x.shape
    out = x.reshape(b, h * w, c_in) @ weight[:, :, 0, 0].T + bias
    return out.reshape(b, -1, h, w)
""",
        ),
        Mistake(
            "Your products are right, but they are put back in the wrong places: reshaping the "
            "(batch, h, w, c_out) result to (batch, c_out, h, w) cuts it as it lies in memory. Move the "
            "channels back with `.permute(0, 3, 1, 2)`.",
            """def conv1x1(x, weight, bias):
    b, c_in, h, w = x.shape
    out = x.permute(0, 2, 3, 1) @ weight[:, :, 0, 0].T + bias
    return out.reshape(b, -1, h, w)
""",
        ),
    ),
)

EXERCISES = [CONV_OUTPUT_SIZE, BATCHNORM_TRAIN, CONV1X1]
