"""Variant makers for the computed questions of quiz 11 (`quiz/11_cnn_from_scratch.yml`)."""

from __future__ import annotations

import random

from dlcourse.quiz.bank import Variant


def _close(a: float, b: float, gap: float) -> bool:
    return abs(a - b) <= gap


def stride2_width(rng: random.Random) -> Variant:
    """Output width of one of `scratch.conv`'s stride-2 convolutions (padding ks // 2), from torch."""
    import torch
    from torch import nn

    n, ks = rng.choice([7, 9, 11, 13, 15, 17, 19, 21, 25, 27, 29, 31, 33, 45]), rng.choice([3, 5, 7])
    pad = ks // 2
    with torch.no_grad():
        width = nn.Conv2d(1, 1, ks, stride=2, padding=pad)(torch.zeros(1, 1, n, n)).shape[-1]
    mistakes = {"half the width, rounded down": n // 2, "no padding": (n - ks) // 2 + 1}
    return Variant(
        {"n": n, "ks": ks, "pad": pad, "inner": n + 2 * pad - ks},
        int(width),
        mistakes={why: v for why, v in mistakes.items() if v != width},
    )


def block_activations(rng: random.Random) -> Variant:
    """Activations per image after the first k layers of a `simple_cnn`-like stack of `scratch.conv`
    blocks."""
    import torch

    from dlcourse import scratch

    n, first, k = rng.choice([28, 32, 36, 40, 48, 64, 96]), rng.choice([4, 8, 16]), rng.choice([2, 3, 4])
    layers = [scratch.conv(1, first, ks=5)]
    layers += [scratch.conv(first * 2**i, first * 2 ** (i + 1)) for i in range(3)]
    x, widths = torch.zeros(1, 1, n, n), [n]
    with torch.no_grad():
        for layer in layers[:k]:
            x = layer(x)
            widths.append(x.shape[-1])
    channels, width = x.shape[1], x.shape[-1]
    floor_width = n // 2**k
    mistakes = {"widths halved rounding down": channels * floor_width**2} if floor_width != width else {}
    mistakes["channels left out"] = width * width
    return Variant(
        {
            "n": n,
            "first": first,
            "k": k,
            "widths": " → ".join(map(str, widths)),
            "channels": " → ".join(str(first * 2**i) for i in range(k)),
            "c": channels,
            "w": width,
        },
        int(x[0].numel()),
        mistakes=mistakes,
    )


def conv_block_parameters(rng: random.Random) -> Variant:
    """Parameters of `scratch.conv(ni, nf, ks, bn=...)`: weights, plus a bias per channel without batch
    norm, or batch norm's scale and shift per channel with it (the running statistics are buffers)."""
    from dlcourse import scratch

    ni, nf = rng.choice([3, 8, 16, 32, 64]), rng.choice([8, 16, 32, 64, 128])
    ks, bn = rng.choice([1, 3, 5]), rng.random() < 0.5
    block = scratch.conv(ni, nf, ks=ks, bn=bn)
    answer = sum(p.numel() for p in block.parameters())
    weights = nf * ni * ks * ks
    if bn:
        mistakes = {
            "the convolution's bias kept": weights + 3 * nf,
            "running mean and variance counted": weights + 4 * nf,
            "batch norm left out": weights,
        }
        setup = f"`scratch.conv({ni}, {nf}, ks={ks}, bn=True)`: a stride-2 `nn.Conv2d`, "
        setup += f"then `nn.BatchNorm2d({nf})`"
        extra = f"batch norm's scale and shift, 2 × {nf} = {2 * nf} (the convolution has no bias)"
    else:
        mistakes = {"no bias": weights, "batch norm's scale and shift added": weights + 2 * nf}
        setup = f"`scratch.conv({ni}, {nf}, ks={ks})`: a stride-2 `nn.Conv2d` with its bias"
        extra = f"one bias per output channel, {nf}"
    mistakes["kernels covering one input channel"] = answer - weights + nf * ks * ks
    return Variant(
        {"setup": setup, "ni": ni, "nf": nf, "ks": ks, "weights": weights, "extra": extra},
        int(answer),
        mistakes=mistakes,
    )


def bn_output(rng: random.Random) -> Variant:
    """One output of `nn.BatchNorm2d` in training mode, for a channel with four values in the batch."""
    import torch
    from torch import nn

    while True:
        values = sorted(rng.sample(range(10), 4))
        gamma, beta = rng.choice([0.5, 1.5, 2.0, 3.0]), rng.choice([-1.0, -0.5, 0.5, 1.0, 2.0])
        pick = rng.randrange(4)
        bn = nn.BatchNorm2d(1).train()
        with torch.no_grad():
            bn.weight.fill_(gamma)
            bn.bias.fill_(beta)
            out = bn(torch.tensor(values, dtype=torch.float32).view(4, 1, 1, 1)).view(4)
        answer = round(float(out[pick]), 6)
        mean = sum(values) / 4
        var = sum((v - mean) ** 2 for v in values) / 4
        z = (values[pick] - mean) / var**0.5
        mistakes = {
            "variance divided by n − 1": gamma * (values[pick] - mean) / (var * 4 / 3) ** 0.5 + beta,
            "scale and shift left out": z,
            "divided by the variance, not the standard deviation": gamma * (values[pick] - mean) / var + beta,
        }
        if abs(answer) > 0.2 and all(not _close(v, answer, 0.02) for v in mistakes.values()):
            break
    z_term = f"{z:.4f}" if z >= 0 else f"(−{-z:.4f})"
    plus_beta = f"+ {beta:g}" if beta >= 0 else f"− {-beta:g}"
    work = f"{gamma:g} × {z_term} {plus_beta} ≈ {answer:.2f}".replace("-", "−")
    return Variant(
        {
            "values": ", ".join(map(str, values)),
            "x": values[pick],
            "gamma": f"{gamma:g}",
            "beta": f"{beta:g}".replace("-", "−"),
            "mean": f"{mean:g}",
            "squares": " + ".join(f"({v - mean:g})²".replace("-", "−") for v in values),
            "var": f"{var:g}",
            "z": f"{z:.4f}".replace("-", "−"),
            "work": work,
        },
        answer,
        mistakes=mistakes,
    )


def running_mean_two_batches(rng: random.Random) -> Variant:
    """A fresh `nn.BatchNorm2d`'s running mean after two training batches (momentum 0.1, from 0)."""
    import torch
    from torch import nn

    m1, m2 = rng.sample([1, 2, 3, 4, 5, 6, 7, 8, 9], 2)
    bn = nn.BatchNorm2d(1).train()
    with torch.no_grad():
        for m in (m1, m2):
            bn(torch.full((2, 1, 2, 2), float(m)))
    answer = round(float(bn.running_mean[0]), 6)
    r1 = 0.1 * m1
    return Variant(
        {"m1": m1, "m2": m2, "r1": f"{r1:g}"},
        answer,
        mistakes={
            "momentum as the old value's weight": 0.1 * 0.9 * m1 + 0.9 * m2,
            "the last batch's mean": m2,
            "the average of the two means": (m1 + m2) / 2,
            "starting from the first batch's mean": 0.9 * m1 + 0.1 * m2,
        },
    )


def bn_values_per_mean(rng: random.Random) -> Variant:
    """How many values each of batch norm's per-channel means averages: items × height × width."""
    import torch

    bs, c, w = rng.choice([16, 32, 64, 128]), rng.choice([8, 16, 32, 64]), rng.choice([2, 4, 7, 14])
    x = torch.zeros(bs, c, w, w)
    per_mean = x.numel() // x.shape[1]  # as `batchnorm.batchnorm_forward` counts them
    return Variant(
        {"bs": bs, "c": c, "w": w},
        int(per_mean),
        mistakes={
            "one mean per item": w * w,
            "one mean for everything": bs * c * w * w,
            "one mean per position": bs,
        },
    )


def total_steps(rng: random.Random) -> Variant:
    """Optimiser steps of a run: epochs × the length of the training DataLoader a DataBlock makes
    (`Datasets.dataloaders`, whose training loader shuffles and so drops its last incomplete batch)."""
    import torch
    from fastai.data.core import Datasets

    while True:
        n, bs = rng.choice([4000, 3680, 5000, 6000, 2500, 1478]), rng.choice([16, 48, 64, 96, 128, 256, 512])
        if n % bs:
            break
    epochs = rng.choice([2, 3, 4, 5])
    dsets = Datasets(list(range(n + 100)), splits=[list(range(n)), list(range(n, n + 100))])
    per_epoch = len(dsets.dataloaders(bs=bs, device=torch.device("cpu")).train)
    return Variant(
        {"n": n, "bs": bs, "epochs": epochs, "per_epoch": per_epoch},
        epochs * per_epoch,
        mistakes={"the last incomplete batch counted": epochs * -(-n // bs), "one epoch only": per_epoch},
    )


def stride2_receptive_field(rng: random.Random) -> Variant:
    """Receptive field of one output after a stack of stride-2 convolutions (the lesson's rule)."""
    from dlcourse.receptive_field import receptive_fields

    kernels = [rng.choice([3, 5, 7])] + [rng.choice([3, 3, 5]) for _ in range(rng.choice([2, 3, 4]))]
    table = receptive_fields([(f"conv {i + 1}", k, 2) for i, k in enumerate(kernels)])
    steps = "; ".join(
        f"{row.layer} ({row.kernel}×{row.kernel}): r = {row.receptive_field}, j = {row.jump}"
        for row in table.itertuples()
    )
    answer = int(table.receptive_field.iloc[-1])
    stride_first, jump = 1, 1
    for k in kernels:
        jump *= 2
        stride_first += (k - 1) * jump
    mistakes = {"strides ignored": 1 + sum(k - 1 for k in kernels)}
    if stride_first != answer:
        mistakes["each layer's own stride applied first"] = stride_first
    return Variant(
        {"kernels": ", ".join(f"{k}×{k}" for k in kernels), "n": len(kernels), "steps": steps},
        answer,
        mistakes=mistakes,
    )
