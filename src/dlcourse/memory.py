"""How much memory training needs: the weights and what the optimizer keeps for each of them, and the
activations a batch leaves behind for the backward pass. Estimates from counting, checked in the tests.
"""

from __future__ import annotations

from contextlib import nullcontext

import pandas as pd
import torch
from torch import nn

ADAM_BYTES_PER_PARAMETER = 16  # float32 weight, its gradient, and Adam's two running averages


def activation_bytes(model: nn.Module, batch: torch.Tensor, dtype: torch.dtype | None = None) -> int:
    """Bytes of the outputs of every layer (module without children) in one forward pass of `batch`:
    what training keeps for the backward pass, roughly. `dtype` (torch.bfloat16, torch.float16): the pass
    runs under autocast, as mixed precision does, so the convolutions and linear layers output that type.
    """
    total = 0

    def count(module, inputs, output):
        nonlocal total
        if isinstance(output, torch.Tensor):
            total += output.numel() * output.element_size()

    leaves = [m for m in model.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(count) for m in leaves]
    autocast = torch.autocast(batch.device.type, dtype=dtype) if dtype else nullcontext()
    try:
        with torch.no_grad(), autocast:
            model.eval()(batch)
    finally:
        for hook in hooks:
            hook.remove()
    return total


def training_memory(models: dict[str, nn.Module], size: int, gpu_gb: float = 16.0) -> pd.DataFrame:
    """Per model: parameters, the weights-and-Adam memory, the activations of one image at `size`
    pixels in float32 and under bfloat16 autocast, and the largest batch that fits in `gpu_gb` GB by
    this count (real runs need some room for the framework and the GPU's workspace)."""
    rows = []
    image = torch.zeros(1, 3, size, size)
    for name, model in models.items():
        params = sum(p.numel() for p in model.parameters())
        state = params * ADAM_BYTES_PER_PARAMETER
        fp32, half = activation_bytes(model, image), activation_bytes(model, image, torch.bfloat16)
        rows.append(
            {
                "model": name,
                "parameters": params,
                "weights + Adam (MB)": state / 1e6,
                "activations per image, float32 (MB)": fp32 / 1e6,
                "activations per image, mixed (MB)": half / 1e6,
                "largest batch, float32": largest_batch(state, fp32, gpu_gb),
                "largest batch, mixed": largest_batch(state, half, gpu_gb),
            }
        )
    return pd.DataFrame(rows)


def largest_batch(state_bytes: int, bytes_per_image: int, gpu_gb: float) -> int:
    """How many images' activations fit beside the weights and optimizer state in `gpu_gb` GB."""
    return max(0, int((gpu_gb * 1e9 - state_bytes) // bytes_per_image))
