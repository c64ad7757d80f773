"""Variant makers for the computed questions of quiz 12 (`quiz/12_resnets.yml`).

Every answer comes from the lesson's own builders in `dlcourse.resnet`, run or counted with torch.
"""

from __future__ import annotations

import random

from dlcourse.quiz.bank import Variant


def _params(module) -> int:
    return sum(p.numel() for p in module.parameters())


def _half_up(n: int) -> int:
    return -(-n // 2)


def weight_layer_count(rng: random.Random) -> Variant:
    """Convolutions and linear layers on the main path of `resnet.deep_and_shallow(k, residual)`, as
    `resnet.weight_layers` counts them (identity paths left out): 2 + 6k."""
    from dlcourse import resnet

    k, residual = rng.choice([2, 3, 4, 5, 7, 8, 9, 10, 12]), rng.random() < 0.5
    answer = resnet.weight_layers(resnet.deep_and_shallow(k, residual=residual))
    mistakes = {"stem and head left out": 6 * k, "one convolution per block": 3 * k + 2}
    mistakes["one stage"] = 2 + 2 * k
    if residual:
        mistakes["the identity paths' 1×1 convolutions counted"] = answer + 2
    note = (
        " The two 1×1 convolutions on identity paths (first block of the second and third stages) are not on "
        "the main path."
        if residual
        else ""
    )
    return Variant({"k": k, "residual": residual, "note": note}, int(answer), mistakes=mistakes)


def head_parameters(rng: random.Random) -> Variant:
    """Parameters of the linear head of `resnet.deep_and_shallow(..., n_out, width)` on 28×28 images: global
    average pooling leaves 4 × width means, whatever the size of the last maps."""
    import torch

    from dlcourse import resnet

    width, n_out = rng.choice([8, 12, 16, 24, 32, 48]), rng.choice([3, 5, 7, 10, 12])
    model = resnet.deep_and_shallow(2, residual=True, n_out=n_out, width=width).eval()
    with torch.no_grad():
        last = model[:-3](torch.zeros(1, 1, 28, 28))  # what reaches global average pooling
    c, w = last.shape[1], last.shape[-1]
    answer = _params(model[-1])
    return Variant(
        {"n": n_out, "width": width, "c": c, "w": w},
        int(answer),
        mistakes={
            "the maps flattened, positions kept": c * w * w * n_out + n_out,
            "bias left out": c * n_out,
            "the first stage's channels": width * n_out + n_out,
        },
    )


def idpath_output(rng: random.Random) -> Variant:
    """Numbers per image that the identity path of a stride-2 `resnet.ResBlock(c, 2c)` outputs for an odd
    map: average pooling with ceil_mode=True, then a 1×1 convolution to 2c channels."""
    import torch

    from dlcourse import resnet

    c, n = rng.choice([8, 16, 24, 32, 64]), rng.choice([5, 7, 9, 11, 13, 15, 17, 21, 25])
    block = resnet.ResBlock(c, 2 * c, stride=2).eval()
    x = torch.zeros(1, c, n, n)
    with torch.no_grad():
        out, convs = block.idpath(x), block.convs(x)
    assert out.shape == convs.shape  # the sum in `forward` needs both paths to agree
    m = out.shape[-1]
    return Variant(
        {"c": c, "c2": 2 * c, "n": n, "m": m},
        int(out[0].numel()),
        mistakes={
            "sizes rounded down": 2 * c * (n // 2) ** 2,
            "channels unchanged": c * m * m,
            "map size unchanged": 2 * c * n * n,
        },
    )


def idpath_parameters(rng: random.Random) -> Variant:
    """Parameters of the identity path of `resnet.ResBlock(ni, nf, stride)` when the channels change: a 1×1
    convolution without bias and batch norm's scale and shift (the average pooling has none)."""
    from dlcourse import resnet

    ni = rng.choice([8, 16, 32, 48, 64, 128])
    nf, stride = ni * rng.choice([2, 4]), rng.choice([1, 2])
    block = resnet.ResBlock(ni, nf, stride=stride)
    answer = _params(block.idpath)
    pool = "an `nn.AvgPool2d(2, ceil_mode=True)`, which has no parameters, then " if stride == 2 else ""
    return Variant(
        {"ni": ni, "nf": nf, "stride": stride, "pool": pool, "weights": ni * nf, "bn": 2 * nf},
        int(answer),
        mistakes={
            "no parameters, as for a plain identity": 0,
            "a 3×3 kernel": 9 * ni * nf + 2 * nf,
            "the convolution's bias kept": answer + nf,
            "running mean and variance counted": answer + 2 * nf,
        },
    )


SMALL = {  # stages: (layers, widths) of a small ResNet with the lesson's stem (8, 16, 16) on greyscale images
    3: ([1, 1, 1], (16, 32, 64)),
    4: ([1, 1, 1, 1], (16, 32, 64, 128)),
}


def pooled_map_width(rng: random.Random) -> Variant:
    """Width of the maps that reach global average pooling in `resnet.resnet` for s×s images: the stem's
    stride-2 convolution and the max pool halve (rounding up), then every stage after the first."""
    import torch

    from dlcourse import resnet

    while True:
        s = rng.choice([40, 50, 60, 70, 90, 100, 110, 130, 150, 170, 200, 230, 250])
        stages = rng.choice([3, 4])
        halvings = stages + 1
        if s % 2**halvings:
            break
    layers, widths = SMALL[stages]
    model = resnet.resnet(layers, widths, n_out=5, c_in=1, stem=(8, 16, 16)).eval()
    x, steps = torch.zeros(1, 1, s, s), [str(s)]
    with torch.no_grad():
        for i, part in enumerate(model[:-3]):
            x = part(x)
            if i == 0 or i >= 3:  # after the stride-2 stem convolution, the max pool, each stage
                steps.append(str(x.shape[-1]))
    answer = int(x.shape[-1])
    down = s
    for _ in range(halvings):
        down //= 2
    no_pool = s
    for _ in range(halvings - 1):
        no_pool = _half_up(no_pool)
    mistakes = {"max pool left out": no_pool, "first stage halving too": _half_up(answer)}
    if down != answer:
        mistakes["halvings rounded down"] = down
    return Variant(
        {
            "s": s,
            "call": f"resnet.resnet({layers}, {widths}, n_out=5, c_in=1, stem=(8, 16, 16))",
            "stages": stages,
            "steps": " → ".join(steps),
        },
        answer,
        mistakes={why: v for why, v in mistakes.items() if v != answer},
    )


def basic_block_parameters(rng: random.Random) -> Variant:
    """Parameters of a basic `resnet.ResBlock(c, c)`: two 3×3 convolutions without bias, two batch norms; the
    identity path, with nothing to change, is empty."""
    from dlcourse import resnet

    c = rng.choice([16, 32, 48, 64, 96, 128, 192, 384, 512])
    answer = resnet.block_parameters(c, c, expansion=1)
    conv = 9 * c * c
    return Variant(
        {"c": c, "conv": f"{conv:,}", "bn": 2 * c, "total": f"{answer:,}"},
        int(answer),
        mistakes={
            "batch norm left out": 2 * conv,
            "the skip counted as a 1×1 convolution": answer + c * c,
            "one convolution": conv + 2 * c,
            "the convolutions' biases kept": answer + 2 * c,
        },
    )


def bottleneck_parameters(rng: random.Random) -> Variant:
    """Parameters of a bottleneck `resnet.ResBlock(nf, nf, expansion=4)`: 1×1 from 4nf down to nf, 3×3 on
    nf, 1×1 back up to 4nf, each with batch norm; the identity path is empty."""
    from dlcourse import resnet

    nf = rng.choice([16, 24, 32, 48, 96, 128, 256])
    wide = 4 * nf
    answer = resnet.block_parameters(nf, nf, expansion=4)
    down, mid, up = wide * nf, 9 * nf * nf, nf * wide
    return Variant(
        {
            "nf": nf,
            "wide": wide,
            "work": f"{down:,} + {mid:,} + {up:,} = {down + mid + up:,} weights, and batch norm's "
            f"2 × ({nf} + {nf} + {wide}) = {2 * (2 * nf + wide):,}",
            "total": f"{answer:,}",
        },
        int(answer),
        mistakes={
            "batch norm left out": down + mid + up,
            "all three kernels 3×3": 9 * (down + mid + up) + 2 * (2 * nf + wide),
            "two 3×3 convolutions on the wide channels": resnet.block_parameters(wide, wide, expansion=1),
        },
    )
