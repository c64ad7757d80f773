"""Batch normalisation written out, as `nn.BatchNorm2d` computes it (lesson 11 checks the two agree).

Training: each channel is normalised with the mean and variance of this batch (over the items, the height
and the width), then scaled by `weight` and shifted by `bias`, both learned. The running statistics move
a step `momentum` (0.1 in PyTorch) towards the batch's: the mean, and the variance with n − 1 in the
denominator (the normalising itself divides by n).
Evaluation: the running statistics replace the batch's, so an item's output no longer depends on the
other items of its batch.
"""

from __future__ import annotations

import torch


def batchnorm_forward(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor,
    running_mean: torch.Tensor,
    running_var: torch.Tensor,
    training: bool,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> torch.Tensor:
    """Batch norm of `x` (batch, channels, height, width). In training, `running_mean` and `running_var`
    are updated in place, as the module's buffers are."""
    if training:
        n = x.numel() / x.shape[1]  # values per channel
        mean = x.mean(dim=(0, 2, 3))
        var = x.var(dim=(0, 2, 3), unbiased=False)
        with torch.no_grad():
            running_mean.mul_(1 - momentum).add_(momentum * mean)
            running_var.mul_(1 - momentum).add_(momentum * var * n / (n - 1))
    else:
        mean, var = running_mean, running_var
    normalised = (x - mean[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + eps)
    return normalised * weight[None, :, None, None] + bias[None, :, None, None]
