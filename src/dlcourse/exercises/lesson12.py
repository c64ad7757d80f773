"""Lesson 12's exercises: global average pooling, the shape of a residual block's identity path, the
parameters of a bottleneck block. References: torch (`F.adaptive_avg_pool2d`) and fastai's `ResBlock`."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from dlcourse.exercises.core import Case, Exercise, Mistake, agrees, show

# --- global average pooling --------------------------------------------------------------------------------


def _torch_global_avg_pool(x: torch.Tensor) -> torch.Tensor:
    return F.adaptive_avg_pool2d(x, 1).flatten(1)  # what nn.AdaptiveAvgPool2d(1) then nn.Flatten() give


def _pool_cases() -> list[Case]:
    g = torch.Generator().manual_seed(12)
    cases = [
        Case("2 items, 3 channels, 2×3 maps holding 0, 1, 2, ...", (torch.arange(36.0).reshape(2, 3, 2, 3),)),
        Case(
            "1×1 maps: nothing to average, only the 1×1 axes to drop", (torch.randn(4, 5, 1, 1, generator=g),)
        ),
        Case("a batch of 1 item, 3 channels, 3×3 maps", (torch.randn(1, 3, 3, 3, generator=g),)),
        Case("a single channel: 2 items, 1 channel, 5×5 maps", (torch.randn(2, 1, 5, 5, generator=g),)),
        Case(
            "maps after a ReLU, many zeros: 3 items, 4 channels, 5×5",
            (torch.relu(torch.randn(3, 4, 5, 5, generator=g)),),
        ),
        Case(
            "deep_and_shallow's last maps: 8 items, 64 channels, 4×4",
            (torch.randn(8, 64, 4, 4, generator=g) + 1,),
        ),
        Case("xresnet18's last maps: 2 items, 512 channels, 7×7", (torch.randn(2, 512, 7, 7, generator=g),)),
    ]
    rng = np.random.default_rng(12)
    for _ in range(2):
        b, c, h, w = (int(v) for v in rng.integers([1, 1, 1, 1], [9, 33, 10, 10]))
        x = torch.randn(b, c, h, w, generator=g) * 2 - 0.5
        cases.append(Case(f"random: {b} item{'s' * (b > 1)}, {c} channels, {h}×{w} maps", (x,)))
    return cases


def _means_over(case: Case, *dims_options: tuple[int, ...]) -> list[torch.Tensor]:
    """The means of the case's x (in float64) over each of the given dimensions, kept and dropped."""
    x = case.args[0].double()
    return [x.mean(dim=dims, keepdim=keep) for dims in dims_options for keep in (False, True)]


def _pooled_channels(case: Case, expected, received) -> bool:
    """Whether the result averages over the channels (alone or with the positions), not the positions."""
    return any(agrees(received, m) for m in _means_over(case, (1,), (1, 2, 3)))


def _pooled_one_axis(case: Case, expected, received) -> bool:
    """Whether the result averages over the height only or the width only."""
    return any(agrees(received, m) for m in _means_over(case, (2,), (3,), (-1,)))


def _wrong_shape(case: Case, expected, received) -> bool:
    """Whether the result holds the right means but keeps 1×1 axes, or `squeeze()` dropped a size-1 axis."""
    right = expected.double()
    shapes = {(*right.shape, 1, 1), (*right.shape, 1), tuple(right.squeeze().shape)} - {tuple(right.shape)}
    return any(agrees(received, right.reshape(s)) for s in shapes)


def _max_or_sum(case: Case, expected, received) -> bool:
    """Whether the result is each map's largest value or its sum, instead of its mean."""
    x = case.args[0].double()
    return any(agrees(received, v) for v in (x.amax(dim=(2, 3)), x.sum(dim=(2, 3))))


def _pooled_batch(case: Case, expected, received) -> bool:
    """Whether the result averages over the items too: one mean per channel for the whole batch."""
    x = case.args[0].double()
    means = x.mean(dim=(0, 2, 3))
    return any(agrees(received, m) for m in (means, means[None], means.expand(x.shape[0], -1)))


GLOBAL_AVG_POOL = Exercise(
    id="12.global_avg_pool",
    title="Global average pooling",
    function="global_avg_pool",
    prompt=(
        "At the end of a ResNet, global average pooling turns each channel's map, whatever its size, into "
        "one number: the mean of its values. Write `global_avg_pool(x)`: `x` is a float tensor of shape "
        "(batch, channels, height, width), the output of the last block; return a tensor of shape (batch, "
        "channels) whose entry `[b, c]` is the mean of the height × width values of channel `c` of item "
        "`b`, ready for the linear head. Write it with tensor operations, not with a pooling layer or "
        "function: the check compares your result with `F.adaptive_avg_pool2d(x, 1).flatten(1)`, what "
        "`nn.AdaptiveAvgPool2d(1)` followed by `nn.Flatten()` computes in `resnet.resnet`."
    ),
    starter='''def global_avg_pool(x):
    """x: (batch, channels, height, width). Returns (batch, channels): the mean of each channel's map."""
    raise NotImplementedError
''',
    solution='''def global_avg_pool(x):
    """x: (batch, channels, height, width). Returns (batch, channels): the mean of each channel's map."""
    # one mean per item and channel: over the positions, the height (2) and the width (3) together.
    # Without keepdim the two averaged dimensions go, which leaves (batch, channels): no 1×1 axes to drop.
    return x.mean(dim=(2, 3))
''',
    hints=(
        "Which dimensions disappear? The items (0) and the channels (1) keep their place; every position "
        "of a map, along the height (2) and the width (3), goes into one mean.",
        "`mean` takes several dimensions at once: `x.mean(dim=(2, 3))` averages over the height and the "
        "width together, and leaves a tensor of shape (batch, channels).",
        "If you started from `x.mean(dim=(2, 3), keepdim=True)`, the result is (batch, channels, 1, 1): "
        "`.flatten(1)` makes it (batch, channels). Not `.squeeze()`, which also drops the batch axis of a "
        "batch of 1.",
    ),
    reference=_torch_global_avg_pool,
    cases=_pool_cases,
    rtol=1e-4,
    atol=1e-5,
    mistakes=(
        Mistake(
            "You averaged over the channels (dimension 1): that mixes the channels into one map per item. "
            "Global average pooling keeps every channel and averages over its positions, the height and "
            "the width: `dim=(2, 3)`.",
            "def global_avg_pool(x):\n    return x.mean(dim=1)\n",
            detect=_pooled_channels,
        ),
        Mistake(
            "You averaged along one spatial axis only, so each channel is left with a row or a column of "
            "means. Average over the height and the width together: `x.mean(dim=(2, 3))`.",
            "def global_avg_pool(x):\n    return x.mean(dim=3)\n",
            detect=_pooled_one_axis,
        ),
        Mistake(
            "Your means are right but your shape is not: return (batch, channels). `keepdim=True` (or "
            "`nn.AdaptiveAvgPool2d(1)` alone) leaves 1×1 axes that `.flatten(1)` or `[:, :, 0, 0]` removes; "
            "`.squeeze()` removes them too, but also the batch axis when the batch has one item (and the "
            "channel axis when there is one channel).",
            "def global_avg_pool(x):\n    return x.mean(dim=(2, 3), keepdim=True)\n",
            detect=_wrong_shape,
        ),
        Mistake(
            "Your numbers are each map's largest value (that is global max pooling, `nn.AdaptiveMaxPool2d`) "
            "or its sum. Global average pooling takes the mean: the sum divided by height × width.",
            "def global_avg_pool(x):\n    return x.amax(dim=(2, 3))\n",
            detect=_max_or_sum,
        ),
        Mistake(
            "You averaged over the items of the batch too (dimension 0): every item then gets the same "
            "numbers. Each item keeps its own means: average over dimensions 2 and 3 only.",
            "def global_avg_pool(x):\n    return x.mean(dim=(0, 2, 3))\n",
            detect=_pooled_batch,
        ),
    ),
)


# --- the shape of a residual block's identity path ---------------------------------------------------------


def _fastai_idpath_shape(shape: tuple[int, int, int], nf: int, stride: int = 1) -> tuple[int, int, int]:
    from fastai.layers import ResBlock

    block = ResBlock(1, shape[0], nf, stride=stride).eval()
    with torch.no_grad():
        out = block.idpath(torch.zeros(1, *shape))
    return tuple(int(n) for n in out.shape[1:])


def _as_shape(value) -> tuple[int, ...] | None:
    """A tuple, list, torch.Size, array or tensor of whole numbers as a tuple of ints, else None."""
    try:
        values = value.tolist() if hasattr(value, "tolist") else list(value)
        if any(isinstance(v, bool) or float(v) != int(v) for v in values):
            return None
        return tuple(int(v) for v in values)
    except (TypeError, ValueError, OverflowError):
        return None


def _compare_shape(expected, received, rtol: float, atol: float) -> str:
    """Three whole numbers: a tuple, a list, a torch.Size are all fine."""
    got = _as_shape(received)
    if got is None:
        return f"  expected a tuple of 3 ints like {expected}\n  received {show(received)}\n"
    if got == tuple(expected):
        return ""
    return f"  expected: {tuple(expected)}\n  received: {got}\n"


def _shape_cases() -> list[Case]:
    cases = [
        Case(
            "deep_and_shallow's second stage: 16 channels at 14×14 into 32, stride 2",
            ((16, 14, 14),),
            {"nf": 32, "stride": 2},
        ),
        Case(
            "its third stage: 32 channels at 7×7, an odd size, into 64, stride 2",
            ((32, 7, 7),),
            {"nf": 64, "stride": 2},
        ),
        Case(
            "a block inside a stage: 64 channels at 4×4, nf 64, stride 1",
            ((64, 4, 4),),
            {"nf": 64, "stride": 1},
        ),
        Case("more channels at stride 1: 64 at 7×7 into 128", ((64, 7, 7),), {"nf": 128, "stride": 1}),
        Case("stride 2 with the channels kept: 64 at 7×7, nf 64", ((64, 7, 7),), {"nf": 64, "stride": 2}),
        Case(
            "xresnet18's second stage: 64 channels at 56×56 into 128, stride 2",
            ((64, 56, 56),),
            {"nf": 128, "stride": 2},
        ),
        Case("a 1×1 map at stride 2: 256 channels into 512", ((256, 1, 1),), {"nf": 512, "stride": 2}),
        Case("a map 5 high and 8 wide: 8 channels into 16, stride 2", ((8, 5, 8),), {"nf": 16, "stride": 2}),
        Case(
            "fewer channels out than in: 128 at 9×9 into 64, stride 2",
            ((128, 9, 9),),
            {"nf": 64, "stride": 2},
        ),
        Case("the default stride: 32 channels at 3×5 into 16", ((32, 3, 5),), {"nf": 16}),
    ]
    rng = np.random.default_rng(12)
    widths = [8, 16, 32, 64, 128]
    for _ in range(3):
        ni, nf = (int(v) for v in rng.choice(widths, size=2))
        h, w = (int(v) for v in rng.integers(1, 40, size=2))
        stride = int(rng.integers(1, 3))
        label = f"random: {ni} channels at {h}×{w} into {nf}, stride {stride}"
        cases.append(Case(label, ((ni, h, w),), {"nf": nf, "stride": stride}))
    return cases


def _shape_parts(case: Case, received) -> tuple[int, int, int, int, int, tuple[int, ...] | None]:
    (ni, h, w), nf, stride = case.args[0], case.kwargs["nf"], case.kwargs.get("stride", 1)
    return ni, h, w, nf, stride, _as_shape(received)


def _rounded_down(case: Case, expected, received) -> bool:
    """Whether the map is halved rounding down where the right answer rounds up."""
    _, h, w, _, stride, got = _shape_parts(case, received)
    return got is not None and got[1:] == (h // stride, w // stride) != tuple(expected[1:])


def _channels_kept(case: Case, expected, received) -> bool:
    """Whether the result keeps the input's number of channels where the block changes it."""
    ni, _, _, nf, _, got = _shape_parts(case, received)
    return got is not None and ni != nf and got[0] == ni


def _halved_at_stride_1(case: Case, expected, received) -> bool:
    """Whether the map is halved (rounding up or down) although the stride is 1."""
    _, h, w, _, stride, got = _shape_parts(case, received)
    return got is not None and stride == 1 and got[1:] in {(h // 2, w // 2), (-(-h // 2), -(-w // 2))}


def _map_kept_at_stride_2(case: Case, expected, received) -> bool:
    """Whether the map keeps its size although the stride is 2."""
    _, h, w, _, stride, got = _shape_parts(case, received)
    return got is not None and stride == 2 and got[1:] == (h, w)


IDENTITY_PATH_SHAPE = Exercise(
    id="12.identity_path_shape",
    title="The shape of a residual block's identity path",
    function="identity_path_shape",
    prompt=(
        "A residual block adds its identity path's output to its convolutions' output, so the two must have "
        "the same shape. In fastai's `ResBlock(1, ni, nf, stride=stride)` (two 3×3 convolutions, the first "
        "with the block's stride and padding 1) the identity path is the input itself, except that a block "
        "of stride 2 first passes it through `nn.AvgPool2d(2, ceil_mode=True)`, and a block with "
        "`ni != nf` through a 1×1 convolution to `nf` channels (with batch norm). Write "
        "`identity_path_shape(shape, nf, stride=1)`: `shape` is a tuple (channels, height, width) of one "
        "input to the block (no batch axis), `nf` the block's `nf` and `stride` 1 or 2. Return the shape "
        "of what the identity path outputs, as a tuple of 3 ints. Work it out with arithmetic: the check "
        "builds fastai's `ResBlock(1, shape[0], nf, stride=stride)`, runs its `idpath` in evaluation mode "
        "on zeros of that shape and reads the shape of the result."
    ),
    starter='''def identity_path_shape(shape, nf, stride=1):
    """shape: (channels, height, width) of the block's input. Returns (channels, height, width) out."""
    raise NotImplementedError
''',
    solution='''def identity_path_shape(shape, nf, stride=1):
    """shape: (channels, height, width) of the block's input. Returns (channels, height, width) out."""
    ni, h, w = shape
    # stride 2: AvgPool2d(2, ceil_mode=True) averages 2×2 patches; at an odd size the last row (or
    # column) makes a patch of its own, so the size is halved rounding up: 7 -> 4, as the stride-2
    # convolution does. -(-h // stride) rounds up; with stride 1 there is no pool and h stays.
    h, w = -(-h // stride), -(-w // stride)
    # the channels: nf either way. A 1×1 convolution turns ni into nf when they differ; when ni == nf
    # the input has nf channels already.
    return (nf, h, w)
''',
    hints=(
        "Take the two parts one at a time. The channels: what must the identity path give so that it can "
        "be added to the convolutions' output, which has `nf` channels? The map: does anything change it "
        "when the stride is 1?",
        "`nn.AvgPool2d(2)` averages 2×2 patches that do not overlap. `ceil_mode=True` keeps the leftover "
        "row or column of an odd-sized map as a smaller patch of its own instead of dropping it: a 7×7 map "
        "becomes 4×4, the size the stride-2 convolution gives.",
        "Stride 2 halves each side rounding up, `(h + 1) // 2` or `math.ceil(h / 2)`; stride 1 keeps it. "
        "The channels are `nf` in every case. So `(nf, math.ceil(h / stride), math.ceil(w / stride))`.",
    ),
    reference=_fastai_idpath_shape,
    cases=_shape_cases,
    compare=_compare_shape,
    mistakes=(
        Mistake(
            "Your map is one short at odd sizes: that is the size rounded down. With `ceil_mode=True` the "
            "leftover row or column of an odd-sized map becomes a patch of its own, so 7 gives 4 (and 1 "
            "gives 1, not 0): round up, `(h + 1) // 2`, as the stride-2 convolution does, or the two paths "
            "could not be added.",
            "def identity_path_shape(shape, nf, stride=1):\n"
            "    ni, h, w = shape\n"
            "    return (nf, h // stride, w // stride)\n",
            detect=_rounded_down,
        ),
        Mistake(
            "Your number of channels is the input's. When `ni != nf` the identity path's 1×1 convolution "
            "turns the ni channels into nf, whatever the stride: the result is added to the convolutions' "
            "output, which has nf channels.",
            "def identity_path_shape(shape, nf, stride=1):\n"
            "    ni, h, w = shape\n"
            "    return (ni, (h + 1) // stride, (w + 1) // stride) if stride == 2 else (ni, h, w)\n",
            detect=_channels_kept,
        ),
        Mistake(
            "You halved the map although the stride is 1. Only a block of stride 2 has the average pool; "
            "with stride 1 the convolutions keep the map's size, and so does the identity path.",
            "def identity_path_shape(shape, nf, stride=1):\n"
            "    ni, h, w = shape\n"
            "    return (nf, (h + 1) // 2, (w + 1) // 2)\n",
            detect=_halved_at_stride_1,
        ),
        Mistake(
            "Your map keeps its size although the stride is 2: the stride-2 convolution halves the map, so "
            "the identity path's average pool halves it too, whether or not the channels change.",
            "def identity_path_shape(shape, nf, stride=1):\n    ni, h, w = shape\n    return (nf, h, w)\n",
            detect=_map_kept_at_stride_2,
        ),
    ),
)


# --- the parameters of a bottleneck block ------------------------------------------------------------------


def _fastai_bottleneck_params(ni: int, nf: int) -> int:
    from fastai.layers import ResBlock

    return sum(p.numel() for p in ResBlock(4, ni, nf).parameters())


def _bottleneck_cases() -> list[Case]:
    cases = [
        Case("the lesson's bottleneck: 256 channels → 64 → 256", (64, 64)),
        Case("xresnet50's first block: 64 channels in (16 × 4), through 64, out 256", (16, 64)),
        Case("256 channels in, through 128, out 512", (64, 128)),
        Case("512 → 128 → 512", (128, 128)),
        Case("the smallest: 4 channels → 1 → 4", (1, 1)),
        Case("fewer channels out than in: 128 → 8 → 32", (32, 8)),
        Case("xresnet50's last stage: 2048 → 512 → 2048", (512, 512)),
    ]
    rng = np.random.default_rng(12)
    for _ in range(3):
        ni, nf = (int(v) for v in rng.integers(1, 129, size=2))
        cases.append(Case(f"random: {4 * ni} channels → {nf} → {4 * nf}", (ni, nf)))
    return cases


def _count(ni: int, nf: int, bn: int = 2, bias: int = 0, mid_ks: int = 3) -> int:
    """A bottleneck block's parameters, counted with `bn` per batch-norm channel, `bias` per convolution's
    output channel and a middle kernel of `mid_ks`; the identity path has its 1×1 convolution when the
    channels in and out differ."""
    n_in, n_out = 4 * ni, 4 * nf

    def conv_layer(c_in: int, c_out: int, ks: int) -> int:
        return c_in * c_out * ks * ks + (bias + bn) * c_out

    total = conv_layer(n_in, nf, 1) + conv_layer(nf, nf, mid_ks) + conv_layer(nf, n_out, 1)
    return total + (conv_layer(n_in, n_out, 1) if n_in != n_out else 0)


def _is(received, *counts: int) -> bool:
    return any(float(received) == c for c in counts)


def _bn_left_out(case: Case, expected, received) -> bool:
    return _is(received, _count(*case.args, bn=0))


def _biases_counted(case: Case, expected, received) -> bool:
    return _is(received, _count(*case.args, bias=1))


def _idconv_wrong(case: Case, expected, received) -> bool:
    """Whether the identity path's convolution is left out where it is there, or counted where it is not."""
    ni, nf = case.args
    idconv = 16 * ni * nf + 8 * nf
    return _is(received, int(expected) - idconv if ni != nf else int(expected) + idconv)


def _middle_1x1(case: Case, expected, received) -> bool:
    return _is(received, _count(*case.args, mid_ks=1))


def _input_not_expanded(case: Case, expected, received) -> bool:
    """Whether the block is counted from ni input channels, not ni × 4, with the identity path's convolution
    where ni differs from nf × 4, or where ni differs from nf."""
    ni, nf = case.args
    convs = ni * nf + 9 * nf * nf + 4 * nf * nf + 2 * (nf + nf + 4 * nf)  # the first 1×1 from ni channels
    idconv = ni * 4 * nf + 8 * nf
    return _is(received, convs + (idconv if ni != 4 * nf else 0), convs + (idconv if ni != nf else 0))


BOTTLENECK_PARAMS = Exercise(
    id="12.bottleneck_params",
    title="The parameters of a bottleneck block",
    function="bottleneck_params",
    prompt=(
        "fastai's `ResBlock(4, ni, nf)` is a bottleneck block of stride 1: its first argument, the "
        "expansion, multiplies both ends, so the block takes `ni * 4` channels in and gives `nf * 4` out. "
        "Its convolutions are a 1×1 convolution from `ni * 4` down to `nf` channels, a 3×3 convolution "
        "from `nf` to `nf`, and a 1×1 convolution up to `nf * 4`, each built like `resnet.conv_layer`: "
        "a convolution, then batch norm (then a ReLU, except after the last). Its identity path is the "
        "input itself when the channels in and out are the same, and otherwise a 1×1 convolution from "
        "`ni * 4` to `nf * 4` channels with batch norm. Write `bottleneck_params(ni, nf)`: how many "
        "parameters (numbers the optimiser trains) the block has, as an int. Count them with arithmetic: "
        "the check builds the block and computes `sum(p.numel() for p in ResBlock(4, ni, nf).parameters())`."
    ),
    starter='''def bottleneck_params(ni, nf):
    """The parameters of fastai's ResBlock(4, ni, nf): ni * 4 channels in, nf * 4 out. Returns an int."""
    raise NotImplementedError
''',
    solution='''def bottleneck_params(ni, nf):
    """The parameters of fastai's ResBlock(4, ni, nf): ni * 4 channels in, nf * 4 out. Returns an int."""
    n_in, n_out = ni * 4, nf * 4  # the expansion multiplies both ends

    def conv_layer(c_in, c_out, ks):
        # a ks × ks kernel for every pair of channels in and out, and no bias (batch norm follows);
        # batch norm learns a scale and a shift for each of the c_out channels
        return c_in * c_out * ks * ks + 2 * c_out

    # down to nf with a 1×1, the 3×3 on nf channels, up to nf * 4 with a 1×1
    total = conv_layer(n_in, nf, 1) + conv_layer(nf, nf, 3) + conv_layer(nf, n_out, 1)
    if n_in != n_out:  # the identity path needs a 1×1 convolution (and batch norm) to change the channels
        total += conv_layer(n_in, n_out, 1)
    return total
''',
    hints=(
        "A convolution from `c_in` to `c_out` channels with a k × k kernel has `c_in * c_out * k * k` "
        "weights. Followed by batch norm it has no bias (`bias=False`): batch norm's shift does that job. "
        "Batch norm learns a scale and a shift, `weight` and `bias`, for each of its channels (its running "
        "mean and variance are buffers, not parameters).",
        "Four layers can have weights: 1×1 from `ni * 4` to `nf`, 3×3 from `nf` to `nf`, 1×1 from `nf` to "
        "`nf * 4`, and, only when `ni != nf`, the identity path's 1×1 from `ni * 4` to `nf * 4`. Each "
        "has a batch norm on its output channels.",
        "For `ResBlock(4, 64, 64)` (256 → 64 → 256, no identity convolution): 256 × 64 + 64 × 64 × 9 + "
        "64 × 256 weights, plus 2 × (64 + 64 + 256) for batch norm: 70,400.",
    ),
    reference=_fastai_bottleneck_params,
    cases=_bottleneck_cases,
    rtol=0,
    atol=0,
    mistakes=(
        Mistake(
            "Your count leaves out batch norm. Each batch norm learns two numbers per channel, a scale and a "
            "shift (its `weight` and `bias`): 2 × nf, 2 × nf and 2 × nf × 4 after the three convolutions, "
            "and 2 × nf × 4 more in the identity path when it has a convolution.",
            "def bottleneck_params(ni, nf):\n"
            "    n = 4 * ni * nf + 9 * nf * nf + 4 * nf * nf\n"
            "    return n + (16 * ni * nf if ni != nf else 0)\n",
            detect=_bn_left_out,
        ),
        Mistake(
            "You counted a bias for every convolution. A convolution followed by batch norm is built with "
            "`bias=False`: batch norm subtracts the channel's mean, which would cancel a bias, and its own "
            "shift takes the bias's place.",
            "def bottleneck_params(ni, nf):\n"
            "    n = 4 * ni * nf + 9 * nf * nf + 4 * nf * nf + 3 * (nf + nf + 4 * nf)\n"
            "    return n + (16 * ni * nf + 12 * nf if ni != nf else 0)\n",
            detect=_biases_counted,
        ),
        Mistake(
            "Your identity path is wrong: when the channels in and out differ (`ni != nf`), it has a 1×1 "
            "convolution from ni × 4 to nf × 4 channels and a batch norm, 16 × ni × nf + 8 × nf parameters; "
            "when they are the same it is the input itself, with no parameters.",
            "def bottleneck_params(ni, nf):\n"
            "    return 4 * ni * nf + 9 * nf * nf + 4 * nf * nf + 2 * (nf + nf + 4 * nf)\n",
            detect=_idconv_wrong,
        ),
        Mistake(
            "You counted the middle convolution as a 1×1. It is the bottleneck's one 3×3 convolution: "
            "nf × nf × 9 weights, the 1×1 convolutions around it only change the number of channels.",
            "def bottleneck_params(ni, nf):\n"
            "    n = 4 * ni * nf + nf * nf + 4 * nf * nf + 2 * (nf + nf + 4 * nf)\n"
            "    return n + (16 * ni * nf + 8 * nf if ni != nf else 0)\n",
            detect=_middle_1x1,
        ),
        Mistake(
            "You counted the block from `ni` input channels. The expansion multiplies both ends: "
            "`ResBlock(4, ni, nf)` takes ni × 4 channels in (and gives nf × 4 out), so the first 1×1 "
            "convolution has ni × 4 × nf weights, and the identity path needs its convolution when ni × 4 "
            "differs from nf × 4, that is when ni != nf.",
            "def bottleneck_params(ni, nf):\n"
            "    n = ni * nf + 9 * nf * nf + 4 * nf * nf + 2 * (nf + nf + 4 * nf)\n"
            "    return n + (ni * 4 * nf + 8 * nf if ni != 4 * nf else 0)\n",
            detect=_input_not_expanded,
        ),
    ),
)

EXERCISES = [GLOBAL_AVG_POOL, IDENTITY_PATH_SHAPE, BOTTLENECK_PARAMS]
