"""Receptive field: how many input pixels one output pixel of a stack of layers can see.

A layer with kernel k and stride s, on top of layers whose outputs are `jump` input pixels apart and
see `size` input pixels each, gives outputs that see `size + (k - 1) * jump` pixels and are
`jump * s` pixels apart. `receptive_fields` applies that rule layer by layer; `measured_receptive_field`
finds the same number another way, by asking autograd which input pixels change one output pixel.
"""

from __future__ import annotations

import copy

import pandas as pd
import torch
from torch import nn

WINDOWED = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)


def _pair_first(value) -> int:
    return value[0] if isinstance(value, tuple) else value


def windows(model: nn.Module) -> list[tuple[str, int, int]]:
    """(name, kernel, stride) of each convolution and pooling layer of `model`, in order (square kernels)."""
    return [
        (f"{name}: {type(m).__name__}", _pair_first(m.kernel_size), _pair_first(m.stride))
        for name, m in model.named_modules()
        if isinstance(m, WINDOWED)
    ]


def receptive_fields(layers: list[tuple[str, int, int]]) -> pd.DataFrame:
    """Per layer: kernel, stride, the receptive field of its outputs and their spacing, in input pixels."""
    size, jump, rows = 1, 1, []
    for name, kernel, stride in layers:
        size += (kernel - 1) * jump
        jump *= stride
        rows.append(
            {"layer": name, "kernel": kernel, "stride": stride, "receptive_field": size, "jump": jump}
        )
    return pd.DataFrame(rows)


def measured_receptive_field(model: nn.Module, input_size: int, channels: int = 3) -> int:
    """Width of the input region that the centre output pixel depends on, found with autograd.

    The geometry is what matters, not the weights, so a copy of `model` is made where every path
    carries gradient: positive weights, no biases, max pooling replaced by average pooling (a max
    passes gradient to one pixel only), ReLUs removed, batch norm in evaluation mode.
    """
    probe = copy.deepcopy(model).eval()
    for name, module in list(probe.named_modules()):
        parent = probe.get_submodule(name.rpartition(".")[0]) if "." in name else probe
        leaf = name.rpartition(".")[2]
        if isinstance(module, nn.MaxPool2d):
            setattr(parent, leaf, nn.AvgPool2d(module.kernel_size, module.stride, module.padding))
        elif isinstance(module, (nn.ReLU, nn.ReLU6, nn.LeakyReLU)):
            setattr(parent, leaf, nn.Identity())
    with torch.no_grad():
        for param_name, param in probe.named_parameters():
            param.fill_(0.0 if param_name.endswith("bias") else 0.1)
    x = torch.ones(1, channels, input_size, input_size, requires_grad=True)
    out = probe(x)
    out[0, :, out.shape[2] // 2, out.shape[3] // 2].sum().backward()
    touched = (x.grad[0].abs().sum(0) > 0).any(0).nonzero()
    return int(touched.max() - touched.min() + 1)
