"""Variant makers for the computed questions of quiz 06 (`quiz/06_data_blocks.yml`)."""

from __future__ import annotations

import random
from functools import lru_cache

from dlcourse.quiz.bank import Variant
from dlcourse.quiz.variants.common import ARCH_NAMES


def valid_loader_batches(rng: random.Random) -> Variant:
    """Batches of a validation DataLoader: in order, the last incomplete batch kept."""
    from fastai.data.load import DataLoader
    from fastai.data.transforms import RandomSplitter

    n, pct, bs = rng.choice([1478, 2503, 7390, 1001]), rng.choice([0.2, 0.25]), rng.choice([32, 64, 128])
    _, valid = RandomSplitter(valid_pct=pct, seed=0)(list(range(n)))
    batches = len(DataLoader(list(valid), bs=bs, shuffle=False, drop_last=False))
    return Variant(
        {"n": n, "pct": f"{pct:g}", "bs": bs, "n_valid": len(valid)},
        batches,
        mistakes={"dropping the last batch, as training does": len(valid) // bs},
    )


def train_images_used(rng: random.Random) -> Variant:
    """Training images one epoch really uses: the split, then full batches only (drop_last)."""
    from fastai.data.load import DataLoader
    from fastai.data.transforms import RandomSplitter

    while True:
        n, bs = rng.choice([1478, 2503, 7390, 1001, 3680]), rng.choice([16, 32, 64])
        train_idx, _ = RandomSplitter(valid_pct=0.2, seed=0)(list(range(n)))
        if len(train_idx) % bs:
            break
    used = sum(len(b) for b in DataLoader(list(train_idx), bs=bs, shuffle=True, drop_last=True))
    return Variant(
        {"n": n, "bs": bs, "n_train": len(train_idx), "steps": len(train_idx) // bs},
        used,
        mistakes={"every training image": len(train_idx), "every image, validation too": n},
    )


@lru_cache(maxsize=8)
def _torchvision_parameters(name: str) -> int:
    from torchvision import models

    return sum(p.numel() for p in getattr(models, name)().parameters())


def adam_state_megabytes(rng: random.Random) -> Variant:
    """MB (10^6 bytes) of a model's float32 weights, gradients and Adam's two averages."""
    from dlcourse.memory import ADAM_BYTES_PER_PARAMETER

    arch = rng.choice(list(ARCH_NAMES))
    params = _torchvision_parameters(arch)
    return Variant(
        {"arch": ARCH_NAMES[arch], "params": f"{params:,}"},
        params * ADAM_BYTES_PER_PARAMETER / 1e6,
        mistakes={
            "the weights alone (4 bytes)": params * 4 / 1e6,
            "weights and gradients, no Adam (8 bytes)": params * 8 / 1e6,
            "MiB (2^20 bytes)": params * ADAM_BYTES_PER_PARAMETER / 2**20,
        },
    )


def largest_batch_for(rng: random.Random) -> Variant:
    """The largest batch whose activations fit beside the weights and Adam's state; the activations of
    one image are the real model's, counted by `dlcourse.memory.activation_bytes` (rounded to 0.1 MB)."""
    import torch
    from torchvision import models

    from dlcourse.memory import ADAM_BYTES_PER_PARAMETER, activation_bytes, largest_batch

    arch = rng.choice(list(ARCH_NAMES))
    params = _torchvision_parameters(arch)
    size = rng.choice([128, 160, 224])
    per_image_mb = round(activation_bytes(getattr(models, arch)(), torch.zeros(1, 3, size, size)) / 1e6, 1)
    gpu_gb = rng.choice([8, 12, 16, 24])
    state = params * ADAM_BYTES_PER_PARAMETER
    per_image = int(per_image_mb * 1e6)
    return Variant(
        {
            "arch": ARCH_NAMES[arch],
            "params": f"{params:,}",
            "state_mb": f"{state / 1e6:.2f}",
            "per_image": f"{per_image_mb:g}",
            "size": size,
            "gpu": gpu_gb,
            "free_mb": f"{gpu_gb * 1e3 - state / 1e6:,.2f}",
        },
        largest_batch(state, per_image, gpu_gb),
        mistakes={
            "forgetting the weights and Adam": int(gpu_gb * 1e9 // per_image),
            "a GiB (2^30 bytes) for a GB": largest_batch(state, per_image, gpu_gb * 2**30 / 1e9),
        },
    )


def half_activation_megabytes(rng: random.Random) -> Variant:
    """MB of a ResNet stem's output for a batch under 16-bit mixed precision."""
    import torch

    bs, size = rng.choice([32, 64, 128]), rng.choice([128, 160, 224, 256])
    stem = torch.nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
    with torch.no_grad():
        shape = stem(torch.zeros(1, 3, size, size)).shape
    half = torch.empty(bs, *shape[1:], dtype=torch.float16, device="meta")  # shape and type, no memory
    full = torch.empty(bs, *shape[1:], dtype=torch.float32, device="meta")
    return Variant(
        {"bs": bs, "size": size, "out": shape[-1], "numbers": f"{half.nelement():,}"},
        half.nelement() * half.element_size() / 1e6,
        mistakes={
            "float32, 4 bytes per number": full.nelement() * full.element_size() / 1e6,
            "forgetting the stride of 2": bs * 64 * size * size * half.element_size() / 1e6,
            "MiB (2^20 bytes)": half.nelement() * half.element_size() / 2**20,
        },
    )


def progressive_compute_percent(rng: random.Random) -> Variant:
    """Compute of a progressive-resizing schedule, as a percentage of the same epochs all at full size."""
    import torch

    small, full = rng.choice([(128, 224), (128, 256), (160, 224), (96, 192), (192, 288)])
    early, late = rng.choice([(2, 1), (3, 1), (4, 2), (6, 2), (5, 3)])
    small_px, full_px = torch.zeros(small, small).numel(), torch.zeros(full, full).numel()
    percent = 100 * (early * small_px + late * full_px) / ((early + late) * full_px)
    return Variant(
        {
            "small": small,
            "full": full,
            "early": early,
            "late": late,
            "epochs": early + late,
            "small_px": f"{small_px:,}",
            "full_px": f"{full_px:,}",
        },
        percent,
        mistakes={
            "the side ratio, not squared": 100 * (early * small + late * full) / ((early + late) * full),
            "the small epochs alone": 100 * small_px / full_px,
        },
    )
