"""Lesson 12's ResNets, built by hand from PyTorch layers, the way fastai's `XResNet` builds them.

A network is a stem (a few convolutions, the first with stride 2, and optionally a max pool), then
stages of blocks (the first block of each stage after the first halves the map with stride 2 and changes
the number of channels), then global average pooling, which turns each channel's map into its mean, and
a linear head. A residual block adds its input to what its convolutions compute (`ResBlock`); a plain
block of the same convolutions does not (`residual=False`). With the same arguments, `resnet` gives the
same layers and parameter count as fastai's `XResNet(ResBlock, expansion, layers, ...)`.
"""

from __future__ import annotations

import pandas as pd
import torch
from torch import Tensor, nn
from torch.nn import functional as F


def conv_layer(ni: int, nf: int, ks: int = 3, stride: int = 1, act: bool = True, zero_bn: bool = False):
    """A convolution without bias, batch norm, then ReLU unless `act` is False: fastai's `ConvLayer`.
    `zero_bn`: the batch norm's scale starts at 0, so that a residual block starts as the identity."""
    bn = nn.BatchNorm2d(nf)
    if zero_bn:
        nn.init.zeros_(bn.weight)
    layers = [nn.Conv2d(ni, nf, ks, stride=stride, padding=ks // 2, bias=False), bn]
    return nn.Sequential(*layers, nn.ReLU()) if act else nn.Sequential(*layers)


class ResBlock(nn.Module):
    """`relu(convs(x) + idpath(x))`. The convolutions: two 3×3 (`expansion` 1), or a bottleneck of 1×1
    (down to `nf` channels), 3×3, 1×1 (up to `nf * expansion`). The identity path: the input itself, or
    average-pooled to the new map size and a 1×1 convolution to the new number of channels.
    `residual=False`: the same convolutions with no identity path and a ReLU at the end (a plain block)."""

    def __init__(self, ni: int, nf: int, stride: int = 1, expansion: int = 1, residual: bool = True):
        super().__init__()
        n_in, n_out = ni * expansion, nf * expansion
        last = dict(act=not residual, zero_bn=residual)
        if expansion == 1:
            convs = [conv_layer(n_in, nf, stride=stride), conv_layer(nf, n_out, **last)]
        else:
            convs = [
                conv_layer(n_in, nf, ks=1),
                conv_layer(nf, nf, stride=stride),
                conv_layer(nf, n_out, ks=1, **last),
            ]
        self.convs = nn.Sequential(*convs)
        self.residual = residual
        idpath: list[nn.Module] = []
        if residual and stride != 1:
            idpath.append(nn.AvgPool2d(stride, ceil_mode=True))
        if residual and n_in != n_out:
            idpath.append(conv_layer(n_in, n_out, ks=1, act=False))
        self.idpath = nn.Sequential(*idpath)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.convs(x) + self.idpath(x)) if self.residual else self.convs(x)


def resnet(
    layers: list[int],
    widths: tuple[int, ...],
    n_out: int,
    c_in: int = 3,
    stem: tuple[int, ...] = (32, 32, 64),
    expansion: int = 1,
    residual: bool = True,
    max_pool: bool = True,
) -> nn.Sequential:
    """A ResNet (or, `residual=False`, the same network without its identity paths): a stem of 3×3
    `conv_layer`s with channels `stem` (the first with stride 2) and a 3×3 max pool of stride 2, then
    `layers[i]` blocks of `widths[i]` channels (times `expansion`), each stage after the first starting
    with stride 2, then global average pooling, `nn.Flatten` and a linear head of `n_out`. fastai's
    XResNet starts its first stage from 64 // expansion channels: so does this, when `stem` ends in 64."""
    sizes = [c_in, *stem]
    body: list[nn.Module] = [
        conv_layer(sizes[i], sizes[i + 1], stride=2 if i == 0 else 1) for i in range(len(stem))
    ]
    if max_pool:
        body.append(nn.MaxPool2d(3, stride=2, padding=1))
    ni = stem[-1] // expansion
    for stage, (n_blocks, nf) in enumerate(zip(layers, widths, strict=True)):
        blocks = [
            ResBlock(ni if i == 0 else nf, nf, 2 if (i == 0 and stage > 0) else 1, expansion, residual)
            for i in range(n_blocks)
        ]
        body.append(nn.Sequential(*blocks))
        ni = nf
    return nn.Sequential(
        *body, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(widths[-1] * expansion, n_out)
    )


def deep_and_shallow(blocks_per_stage: int, residual: bool, n_out: int = 5, width: int = 16) -> nn.Sequential:
    """Lesson 12's networks for 28×28 greyscale images: a stem of one stride-2 convolution (28 → 14), no
    max pool, three stages of `blocks_per_stage` blocks with `width`, 2 × `width`, 4 × `width` channels
    (14 → 7 → 4), global average pooling and a linear head: 2 + 6 × `blocks_per_stage` layers with weights."""
    return resnet(
        [blocks_per_stage] * 3,
        (width, 2 * width, 4 * width),
        n_out,
        c_in=1,
        stem=(width,),
        residual=residual,
        max_pool=False,
    )


def weight_layers(model: nn.Module) -> int:
    """How many convolutions and linear layers `model` has on its main path (identity paths left out)."""
    main = [m for name, m in model.named_modules() if "idpath" not in name]
    return sum(isinstance(m, nn.Conv2d | nn.Linear) for m in main)


def block_parameters(ni: int, nf: int, expansion: int) -> int:
    """The parameters of one `ResBlock` with stride 1 from `ni * expansion` to `nf * expansion` channels."""
    return sum(p.numel() for p in ResBlock(ni, nf, expansion=expansion).parameters())


def shapes_side_by_side(
    ours: nn.Sequential, theirs: nn.Sequential, input_shape: tuple[int, ...]
) -> pd.DataFrame:
    """Each top-level layer of two networks built the same way (dropout layers, which change no shape, left
    out), its output shape for one input of `input_shape` and its parameters, in both. Runs in evaluation
    mode, then puts each network back in the mode it was in."""
    rows = []
    parts = [[m for m in net.children() if not isinstance(m, nn.Dropout)] for net in (ours, theirs)]
    modes = [ours.training, theirs.training]
    ours.eval()
    theirs.eval()
    x = y = torch.zeros(1, *input_shape)
    with torch.no_grad():
        for a, b in zip(*parts, strict=True):
            x, y = a(x), b(y)
            rows.append(
                {
                    "ours": type(a).__name__,
                    "fastai": type(b).__name__,
                    "our output": " × ".join(map(str, x.shape[1:])),
                    "fastai's output": " × ".join(map(str, y.shape[1:])),
                    "our parameters": sum(p.numel() for p in a.parameters()),
                    "fastai's parameters": sum(p.numel() for p in b.parameters()),
                }
            )
    ours.train(modes[0])
    theirs.train(modes[1])
    return pd.DataFrame(rows)
