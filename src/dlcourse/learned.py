"""What a network learns: its first layer's kernels, the maps they make, and one kernel learned by SGD."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from fastai.callback.hook import hook_outputs
from torch import nn


def first_conv(model: nn.Module) -> nn.Conv2d:
    """The first convolution of `model`: the one that looks at the pixels."""
    return next(m for m in model.modules() if isinstance(m, nn.Conv2d))


def first_layer_kernels(model: nn.Module) -> np.ndarray:
    """The first convolution's kernels now, (K, C, kh, kw), as a float array."""
    return first_conv(model).weight.detach().float().cpu().numpy().copy()  # a snapshot, not a view


def activation_maps(model: nn.Module, xb: torch.Tensor, layers: int = 3) -> dict[str, np.ndarray]:
    """The output of the first `layers` convolutions for one input batch `xb` (first image only):
    {"conv 1 (16 maps, 14x14)": (K, H, W) array, ...}, recorded with fastai's hooks."""
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)][:layers]
    was_training = model.training
    model.eval()
    with hook_outputs(convs) as hooks, torch.no_grad():
        model(xb[:1])
    model.train(was_training)
    maps = {}
    for i, stored in enumerate(hooks.stored, 1):
        acts = stored[0].float().cpu().numpy()
        maps[f"conv {i} ({acts.shape[0]} maps, {acts.shape[1]}x{acts.shape[2]})"] = acts
    return maps


def learn_kernel(
    target: np.ndarray, images: np.ndarray, steps: int = 100, lr: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, pd.DataFrame]:
    """Learn a single 2-D kernel from examples: inputs `images` (N, H, W) and, as outputs, the images
    convolved with `target`. One `nn.Conv2d` starts from random weights and follows SGD on the mean
    squared error. Returns the learned kernel and the loss and distance to `target` per step."""
    torch.manual_seed(seed)
    x = torch.as_tensor(np.asarray(images), dtype=torch.float32)[:, None]
    goal = torch.as_tensor(np.asarray(target), dtype=torch.float32)
    y = F.conv2d(x, goal[None, None])
    conv = nn.Conv2d(1, 1, goal.shape[-1], bias=False)
    opt = torch.optim.SGD(conv.parameters(), lr=lr)
    log = []
    for step in range(steps):
        loss = F.mse_loss(conv(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        distance = (conv.weight.detach()[0, 0] - goal).abs().max()
        log.append({"step": step + 1, "loss": loss.item(), "largest kernel error": float(distance)})
    return conv.weight.detach()[0, 0].numpy().astype(float), pd.DataFrame(log)
