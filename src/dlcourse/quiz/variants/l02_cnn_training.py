"""Variant makers for the computed questions of quiz 02 (`quiz/02_cnn_training.yml`)."""

from __future__ import annotations

import math
import random

import numpy as np

from dlcourse import softmax
from dlcourse.quiz.bank import Variant


def cross_entropy_of_scores(rng: random.Random) -> Variant:
    """Cross-entropy of one image with three class scores, the right class given."""
    while True:  # a right class below p = 0.75, where −ln(p) and the tempting 1 − p differ
        scores = np.array([rng.randint(-2, 4) for _ in range(3)], dtype=float)
        target = rng.randrange(3)
        probs = softmax.softmax(scores)
        if probs[target] < 0.75:
            break
    loss = softmax.cross_entropy(scores[None], np.array([target]))
    return Variant(
        {
            "scores": ", ".join(f"{v:g}" for v in scores),
            "target": ["first", "second", "third"][target],
            "z": f"{scores[target]:g}",
            "exps": " + ".join(f"e^{v:g}" for v in scores),
            "p": f"{probs[target]:.4g}",
        },
        round(loss, 4),
        mistakes={"log base 10": -math.log10(probs[target]), "1 − p": 1 - probs[target]},
    )


def error_rate_percent(rng: random.Random) -> Variant:
    """fastai's error_rate for n validation images of which `wrong` are misclassified, in percent."""
    import torch
    from fastai.metrics import error_rate

    n, wrong = rng.choice([80, 200, 500, 1478]), rng.randint(1, 40)
    targets = torch.zeros(n, dtype=torch.long)
    preds = torch.zeros(n, 2)
    preds[:wrong, 1] = 1.0  # these predict class 1 although the target is 0
    percent = round(float(error_rate(preds, targets)) * 100, 4)
    return Variant(
        {"n": n, "wrong": wrong, "fraction": f"{wrong / n:.5g}"},
        percent,
        mistakes={"the fraction, not the percentage": wrong / n, "the accuracy": 100 - percent},
    )


def training_count(rng: random.Random) -> Variant:
    """How many images fastai's RandomSplitter leaves for training: n − int(valid_pct × n)."""
    from fastai.data.transforms import RandomSplitter

    n, pct = rng.choice([2503, 1478, 3687]), rng.choice([0.1, 0.2, 0.25])
    train, valid = RandomSplitter(valid_pct=pct, seed=0)(list(range(n)))
    mistakes = {"the validation images": len(valid)}
    if round(pct * n) != len(valid):
        mistakes["the validation share rounded to the nearest image"] = n - round(pct * n)
    return Variant(
        {"n": n, "pct": int(pct * 100), "product": f"{pct * n:g}", "valid": len(valid)},
        len(train),
        mistakes=mistakes,
    )


def batch_megabytes(rng: random.Random) -> Variant:
    """Size in MB (10^6 bytes) of one float32 input batch of RGB images."""
    import torch

    bs, size = rng.choice([16, 32, 64, 128]), rng.choice([128, 224, 256])
    batch = torch.zeros(bs, 3, size, size, dtype=torch.float32)
    size_bytes = batch.element_size() * batch.nelement()
    return Variant(
        {"bs": bs, "size": size, "bytes": f"{size_bytes:,}"},
        size_bytes / 1e6,
        mistakes={"one byte per number": size_bytes / 4e6, "MiB (2^20 bytes)": size_bytes / 2**20},
    )


def pixel_cost_ratio(rng: random.Random) -> Variant:
    """How many times more pixels (roughly compute and activation memory) a larger square image has."""
    import torch

    small, large = rng.choice([(128, 256), (224, 336), (128, 160), (224, 320), (192, 256), (128, 224)])
    ratio = torch.zeros(large, large).numel() / torch.zeros(small, small).numel()
    return Variant(
        {"small": small, "large": large}, ratio, mistakes={"the side ratio, not squared": large / small}
    )


def softmax_of_large_scores(rng: random.Random) -> Variant:
    """Softmax of three scores too large for e^z (the lesson's `softmax`, which subtracts the largest
    score first: that changes no probability)."""
    base = rng.choice([1000, 850, 760, 1200])
    offsets = rng.sample([0, -1, -2, -3, -4], 3)
    if 0 not in offsets:
        offsets[rng.randrange(3)] = 0
    scores = np.array([base + o for o in offsets], dtype=float)
    asked = rng.randrange(3)
    probs = softmax.softmax(scores)
    shifted = np.exp(scores - scores.max())
    return Variant(
        {
            "scores": ", ".join(f"{v:g}" for v in scores),
            "which": ["first", "second", "third"][asked],
            "max": f"{scores.max():g}",
            "shifted": ", ".join(f"{v:g}" for v in scores - scores.max()),
            "exps": " + ".join(f"{v:.4f}" for v in shifted),
            "total": f"{shifted.sum():.4f}",
            "mine": f"{shifted[asked]:.4f}",
        },
        round(float(probs[asked]), 4),
        mistakes={
            "e^(z − max) without dividing by the sum": float(shifted[asked]),
            "the scores divided by their sum": float(scores[asked] / scores.sum()),
        },
    )


def head_layer_parameters(rng: random.Random) -> Variant:
    """Parameters (weights and biases) of a linear layer from `features` inputs to `n` classes."""
    import torch

    features, n = rng.choice([512, 1024, 2048]), rng.choice([2, 10, 37, 120])
    layer = torch.nn.Linear(features, n)
    count = sum(p.numel() for p in layer.parameters())
    return Variant({"features": features, "n": n}, count, mistakes={"weights only, no biases": features * n})
