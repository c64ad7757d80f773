"""Variant makers for the computed questions of quiz 05 (`quiz/05_unfreezing.yml`)."""

from __future__ import annotations

import random
from functools import lru_cache

from dlcourse.quiz.bank import Variant


def slice_group_lr(rng: random.Random) -> Variant:
    """The learning rate slice(lo, hi) gives to one parameter group."""
    from dlcourse.schedules import group_lrs

    lo, hi = rng.choice([(1e-6, 1e-4), (1e-5, 1e-3), (1e-4, 1e-2), (1e-6, 1e-3)])
    n = rng.choice([3, 4, 5])
    k = rng.randint(1, n - 2)
    return Variant(
        {
            "lo": f"{lo:g}",
            "hi": f"{hi:g}",
            "n": n,
            "k": k + 1,
            "ratio": f"{hi / lo:g}",
            "frac": f"{k}/{n - 1}",
        },
        float(group_lrs(slice(lo, hi), n)[k]),
        mistakes={"linear spacing": lo + (hi - lo) * k / (n - 1)},
    )


def slice_group_ratio(rng: random.Random) -> Variant:
    """How many times larger each parameter group's learning rate is than the previous group's."""
    from dlcourse.schedules import group_lrs

    lo, hi = rng.choice([(1e-6, 1e-4), (1e-5, 1e-3), (1e-6, 1e-3), (1e-5, 1e-2)])
    n = rng.choice([3, 4, 5])
    lrs = group_lrs(slice(lo, hi), n)
    return Variant(
        {"lo": f"{lo:g}", "hi": f"{hi:g}", "n": n, "ratio": f"{hi / lo:g}", "gaps": n - 1},
        float(lrs[1] / lrs[0]),
        mistakes={"dividing by the number of groups": (hi / lo) ** (1 / n)},
    )


def fine_tune_body_lr(rng: random.Random) -> Variant:
    """The peak LR of the first (earliest) group in fine_tune's unfrozen stage."""
    from dlcourse.schedules import group_lrs

    base = rng.choice([1e-3, 2e-3, 5e-3, 1e-2])
    half = base / 2
    return Variant(
        {"base": f"{base:g}", "half": f"{half:g}"},
        float(group_lrs(slice(half / 100, half), 3)[0]),
        mistakes={"forgetting that base_lr is halved": base / 100},
    )


FINE_TUNE_GROUPS = ["the earliest group", "the middle group", "the head (the last group)"]


def fine_tune_unfrozen_start(rng: random.Random) -> Variant:
    """The learning rate one parameter group starts fine_tune's unfrozen stage with: fastai runs that stage
    as fit_one_cycle(epochs, slice(base_lr / 2 / 100, base_lr / 2), pct_start=0.3, div=5.0)."""
    from dlcourse.schedules import one_cycle

    base = rng.choice([1e-3, 2e-3, 5e-3, 1e-2, 2e-2])
    group = rng.randrange(3)
    half = base / 2
    lrs, _ = one_cycle(100, slice(half / 100, half), n_groups=3, div=5.0, pct_start=0.3)
    peaks = [half / 100, half / 10, half]
    return Variant(
        {
            "base": f"{base:g}",
            "half": f"{half:g}",
            "group": FINE_TUNE_GROUPS[group],
            "peak": f"{peaks[group]:g}",
        },
        float(f"{lrs[0, group]:.6g}"),
        mistakes={
            "fit_one_cycle's default div of 25": peaks[group] / 25,
            "base_lr not halved": 2 * peaks[group] / 5,
            "the group's peak instead of its start": peaks[group],
        },
    )


def frozen_batchnorm_parameters(rng: random.Random) -> Variant:
    """Parameters of a frozen body that still train: its batch-norm layers' weights and biases."""
    import torch

    channels = sorted(rng.sample([16, 32, 64, 128, 256, 512], rng.choice([3, 4])))
    layers = [torch.nn.BatchNorm2d(c) for c in channels]
    count = sum(p.numel() for layer in layers for p in layer.parameters() if p.requires_grad)
    return Variant(
        {"channels": ", ".join(map(str, channels)), "sum": " + ".join(map(str, channels))},
        count,
        mistakes={"one parameter per channel": sum(channels)},
    )


@lru_cache(maxsize=8)
def _resnet34_counts(n: int) -> dict[str, int]:
    from torchvision.models import resnet34

    from dlcourse.train import parameter_counts

    return parameter_counts(n, resnet34)


def frozen_share(rng: random.Random) -> Variant:
    """The share of a ResNet-34 with a fastai head that trains while the body is frozen, in percent."""
    n = rng.choice([2, 10, 37, 102])
    c = _resnet34_counts(n)
    return Variant(
        {
            "n": n,
            "body": f"{c['body']:,}",
            "bn": f"{c['body_batchnorm']:,}",
            "head": f"{c['head']:,}",
            "trainable": f"{c['frozen']:,}",
            "total": f"{c['unfrozen']:,}",
        },
        100 * c["frozen"] / c["unfrozen"],
        mistakes={"the head alone": 100 * c["head"] / c["unfrozen"]},
    )
