"""Variant makers for computed quiz questions: fn(rng) -> Variant(parameters, answer, ...).

The answer always comes from running the library code the lesson teaches. The parameters include the
worked steps the explanation shows. `other_readings` and `mistakes` let `dlcourse quiz lint` check that
the key is the only correct reading and that tempting wrong methods do not pass.
"""

from __future__ import annotations

import math
import random
from functools import lru_cache

import numpy as np

from dlcourse import kernels, pooling, receptive_field, softmax
from dlcourse.quiz.bank import Variant

# --- lesson 1: convolutions -----------------------------------------------------------------------------


def conv_output_size(rng: random.Random) -> Variant:
    """Output width of a convolution for a random n, k, padding, stride."""
    while True:
        n, k = rng.choice([5, 6, 7, 8, 9, 12, 28, 32, 64, 224]), rng.choice([1, 3, 5, 7])
        p, s = rng.choice([0, 1, 2, 3]), rng.choice([1, 2, 3])
        if k <= n + 2 * p:
            return Variant({"n": n, "k": k, "p": p, "s": s}, kernels.output_size(n, k, padding=p, stride=s))


def same_padding(rng: random.Random) -> Variant:
    """Padding that keeps the size unchanged at stride 1 for an odd kernel size k."""
    k = rng.choice([3, 5, 7, 9, 11])
    n = rng.choice([16, 28, 32])
    padding = next(p for p in range(k) if kernels.output_size(n, k, padding=p) == n)
    return Variant({"k": k, "n": n}, padding)


def kernel_on_patch(rng: random.Random) -> Variant:
    """A named kernel applied to a small integer patch: the activation at the centre."""
    name = rng.choice(["sobel x", "sobel y", "sharpen", "outline", "emboss"])
    weights = kernels.kernel(name)
    patch = np.array([[rng.randint(0, 9) for _ in range(3)] for _ in range(3)])
    value = float(kernels.conv2d_loop(patch, weights)[0, 0])
    products = " + ".join(
        f"{w:g}×{x}" if w > 0 else f"({w:g})×{x}"
        for w, x in zip(weights.ravel(), patch.ravel(), strict=True)
        if w
    )
    return Variant(
        {"name": name, "kernel": _grid(weights), "patch": _grid(patch), "products": products}, value
    )


def kernel_weights(rng: random.Random) -> Variant:
    """Number of weights in a bank of K kernels of size k x k over C input channels."""
    n_kernels, channels, k = rng.choice([8, 16, 32, 64]), rng.choice([1, 3, 16, 32]), rng.choice([1, 3, 5])
    bank = np.zeros((n_kernels, channels, k, k))
    return Variant({"K": n_kernels, "C": channels, "k": k}, int(bank.size))


def bank_output_channels(rng: random.Random) -> Variant:
    """Channels a layer outputs, from its number of weights: each kernel spans every input channel and
    writes one map, so the output has one channel per kernel (weights / (C × 3 × 3))."""
    while True:
        channels, n_kernels = rng.choice([3, 8, 16, 32]), rng.choice([4, 6, 10, 12, 20, 48])
        if channels != n_kernels:
            break
    size = rng.choice([28, 32, 64])
    bank = np.zeros((n_kernels, channels, 3, 3))
    out = kernels.conv2d_im2col(np.zeros((channels, size, size)), bank, padding=1)
    return Variant(
        {
            "C": channels,
            "H": size,
            "weights": f"{bank.size:,}",
            "per_kernel": channels * 9,
        },
        out.shape[0],
        mistakes={
            "one map per 3×3 slice (weights / 9)": bank.size // 9,
            "as many channels as the input": channels,
        },
    )


def relu_count(rng: random.Random) -> Variant:
    """How many entries of an activation map survive a ReLU (stay above zero)."""
    grid = np.array([rng.randint(-5, 5) for _ in range(9)]).reshape(3, 3)
    kept = kernels.relu(grid)
    positives = ", ".join(str(v) for v in kept.ravel() if v > 0) or "none"
    return Variant({"grid": _grid(grid), "positives": positives}, int((kept > 0).sum()))


def pooled_value(rng: random.Random) -> Variant:
    """One output of 2×2 max or average pooling (stride 2) of a 4×4 map."""
    grid = np.array([[rng.randint(0, 9) for _ in range(4)] for _ in range(4)])
    kind = rng.choice(["max", "average"])
    row, col = rng.randint(0, 1), rng.randint(0, 1)
    pooled = (pooling.max_pool if kind == "max" else pooling.avg_pool)(grid, 2)
    window = grid[2 * row : 2 * row + 2, 2 * col : 2 * col + 2]
    other = pooling.avg_pool(grid, 2) if kind == "max" else pooling.max_pool(grid, 2)
    return Variant(
        {
            "kind": kind,
            "grid": _grid(grid),
            "where": ["top", "bottom"][row] + "-" + ["left", "right"][col],
            "window": ", ".join(str(v) for v in window.ravel()),
        },
        float(pooled[row, col]),
        mistakes={"the other kind of pooling": float(other[row, col])}
        if other[row, col] != pooled[row, col]
        else {},
    )


LAYERS = {"conv 3×3, stride 1": (3, 1), "conv 3×3, stride 2": (3, 2), "max pool 2×2, stride 2": (2, 2)}


def stack_receptive_field(rng: random.Random) -> Variant:
    """Receptive field of one output pixel after a random stack of 3 or 4 layers."""
    names = [rng.choice(list(LAYERS)) for _ in range(rng.choice([3, 4]))]
    table = receptive_field.receptive_fields([(name, *LAYERS[name]) for name in names])
    steps = ["r = 1, j = 1"] + [
        f"{row.layer}: r = {row.receptive_field}, j = {row.jump}" for row in table.itertuples()
    ]
    answer = int(table.receptive_field.iloc[-1])
    return Variant({"layers": "; then ".join(names), "steps": "; ".join(steps)}, answer)


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


def _grid(values: np.ndarray) -> str:
    """A small array as a markdown code block."""
    rows = ["  ".join(f"{v:>3g}" for v in row) for row in np.asarray(values, dtype=float)]
    return "\n\n```\n" + "\n".join(rows) + "\n```\n\n"


# --- lesson 6: data blocks, augmentation, memory --------------------------------------------------


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


ARCH_NAMES = {"resnet18": "ResNet-18", "resnet34": "ResNet-34", "resnet50": "ResNet-50"}


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


# --- lesson 2: training a CNN ------------------------------------------------------------------------


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


# --- lesson 3: the learning-rate finder ---------------------------------------------------------------


def range_test_lr(rng: random.Random) -> Variant:
    """The learning rate at step i of an exponential range test (fastai's convention: i / num_it)."""
    from dlcourse.lr_finder import exponential_lrs

    start, end = 1e-7, 10.0
    num_it = rng.choice([100, 200])
    i = rng.choice([25, 40, 50, 60, 75]) * num_it // 100
    lr = exponential_lrs(start, end, num_it)[i]
    return Variant(
        {"num_it": num_it, "i": i, "exponent": f"{-7 + 8 * i / num_it:g}"},
        lr,
        mistakes={
            "linear spacing": start + (end - start) * i / num_it,
            "dividing by num_it − 1": start * (end / start) ** (i / (num_it - 1)),
        },
    )


def range_test_factor(rng: random.Random) -> Variant:
    """The factor the range test multiplies the learning rate by at each step."""
    from dlcourse.lr_finder import exponential_lrs

    start, end = rng.choice([(1e-7, 10.0), (1e-6, 1.0), (1e-5, 10.0)])
    num_it = rng.choice([50, 100])
    lrs = exponential_lrs(start, end, num_it)
    return Variant(
        {"start": f"{start:g}", "end": f"{end:g}", "num_it": num_it, "ratio": f"{end / start:g}"},
        lrs[1] / lrs[0],
        mistakes={"dividing by num_it − 1": (end / start) ** (1 / (num_it - 1))},
    )


def range_test_steps_below(rng: random.Random) -> Variant:
    """How many steps of a range test use a learning rate below a threshold."""
    from dlcourse.lr_finder import exponential_lrs

    # thresholds an odd number of eighths of the way from 1e-7 to 10: never exactly on a step
    num_it, threshold = rng.choice([60, 100]), rng.choice([1e-6, 1e-4, 1e-2, 1.0])
    lrs = exponential_lrs(1e-7, 10.0, num_it)
    count = sum(lr < threshold for lr in lrs)
    share = (math.log10(threshold) + 7) / 8
    return Variant(
        {
            "num_it": num_it,
            "last_step": num_it - 1,
            "last_below": count - 1,
            "threshold": f"{threshold:g}",
            "share": f"{share:g}",
            "bound": f"{share * num_it:g}",
        },
        count,
        mistakes={"linear spacing": sum(1e-7 + (10 - 1e-7) * i / num_it < threshold for i in range(num_it))},
    )


def smoothed_third_loss(rng: random.Random) -> Variant:
    """The bias-corrected exponential moving average after three losses, beta 0.98."""
    from dlcourse.lr_finder import smooth

    losses = [
        round(rng.uniform(2.4, 3.0), 1),
        round(rng.uniform(1.6, 2.2), 1),
        round(rng.uniform(0.6, 1.2), 1),
    ]
    avg, steps = 0.0, []
    for loss in losses:
        avg = 0.98 * avg + 0.02 * loss
        steps.append(f"{avg:.6f}")
    answer = smooth(losses)[-1]
    return Variant(
        {"l1": losses[0], "l2": losses[1], "l3": losses[2], "a1": steps[0], "a2": steps[1], "a3": steps[2]},
        answer,
        mistakes={
            "the plain mean": sum(losses) / 3,
            "no bias correction": avg,
            "the last loss alone": losses[-1],
        },
    )


def _curve(rng: random.Random):
    """A small range-test curve: flat, a few falls of different sizes, then a blow-up."""
    import torch

    lrs = torch.tensor([10.0**e for e in range(-6, 1)], dtype=torch.float64)  # 1e-6 ... 1
    falls = rng.sample([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], rng.randint(2, 4))
    losses = [2.3]
    for fall in falls:
        losses.append(round(losses[-1] - fall, 1))
    while len(losses) < 7:
        losses.append(round(losses[-1] + rng.choice([0.5, 0.8, 1.1, 1.4]), 1))
    losses = torch.tensor(losses, dtype=torch.float64)
    table = "\n\n| lr | " + " | ".join(f"{lr:.0e}" for lr in lrs.tolist()) + " |\n|" + "---|" * 8 + "\n"
    table += "| loss | " + " | ".join(f"{v:.1f}" for v in losses.tolist()) + " |\n\n"
    return lrs, losses, table


def _ties(values, best: float, lrs, scale: float = 1.0) -> dict[str, float]:
    """Other learning rates whose value equals the best one (to 1e-6): each is another correct reading."""
    return {
        f"the tie at {float(lrs[i]):.0e}": float(lrs[i]) * scale
        for i, v in enumerate(values)
        if abs(float(v) - best) < 1e-6
    }


def minimum_rule(rng: random.Random) -> Variant:
    """The `minimum` suggestion (a tenth of the LR of the lowest loss) on a small curve."""
    from dlcourse.lr_finder import minimum

    lrs, losses, table = _curve(rng)
    answer, (lr_min, low) = minimum(lrs, losses)
    ties = _ties(losses, low, lrs, scale=0.1)
    ties.pop(f"the tie at {lr_min:.0e}", None)
    return Variant(
        {"table": table, "low": f"{low:.1f}", "lr_min": f"{lr_min:.0e}"},
        answer,
        other_readings=ties,
        mistakes={"the learning rate of the lowest loss itself": lr_min},
    )


def steep_rule(rng: random.Random) -> Variant:
    """The `steep` suggestion (steepest fall per unit of log LR) on a small curve."""
    return steep_variant(*_curve(rng))


def steep_variant(lrs, losses, table: str = "") -> Variant:
    """The `steep` suggestion on a given curve, with any tie for the steepest fall as another reading."""
    from dlcourse.lr_finder import steep

    answer, _ = steep(lrs, losses)
    drops = (losses[:-1] - losses[1:]).tolist()
    biggest = max(drops)
    ties = _ties(drops, biggest, lrs)
    ties.pop(f"the tie at {answer:.0e}", None)
    listed = ", ".join(
        f"{float(lrs[i]):.0e} → {float(lrs[i + 1]):.0e}: {'falls' if d > 0 else 'rises'} {abs(d):.1f}"
        for i, d in enumerate(drops)
    )
    return Variant(
        {"table": table, "drops": listed, "biggest": f"{biggest:.1f}"},
        answer,
        other_readings=ties,
        mistakes={"the end of the steepest fall": answer * 10},
    )


VALLEY_LRS = [1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1]


def _decreasing_runs(losses: list[float]) -> list[int]:
    """run[i]: the number of points of the longest sequence ending at i whose losses keep falling (points in
    between may be skipped), as fastai's `valley` counts it."""
    run = [1] * len(losses)
    for i in range(1, len(losses)):
        for j in range(i):
            if losses[i] < losses[j]:
                run[i] = max(run[i], run[j] + 1)
    return run


def valley_rule(rng: random.Random) -> Variant:
    """The `valley` suggestion (fastai's rule, the lesson's `lr_finder.valley`) on a small curve: a flat
    start, a long fall (sometimes with one small bump, which the falling sequence skips), then a rise."""
    import torch

    from dlcourse.lr_finder import valley

    while True:
        n_flat, n_fall = rng.randint(2, 3), rng.randint(4, 7)
        losses = [2.3] * n_flat
        for _ in range(n_fall):
            losses.append(round(losses[-1] - rng.choice([0.1, 0.2, 0.3, 0.4]), 1))
        bump = n_fall >= 5 and rng.random() < 0.5
        if bump:  # one point a little above the one before it, still below the one before that
            at = n_flat + rng.randint(1, n_fall - 3)
            up = round(losses[at - 1] + 0.1, 1)
            if not (up < losses[at - 2] and losses[at] < losses[at - 1]):
                continue
            losses.insert(at, up)
        while len(losses) < len(VALLEY_LRS):  # the rise: every point above the fall's last two points
            losses.append(round(max(losses[-1], sorted(losses)[1]) + rng.choice([0.2, 0.4, 0.7]), 1))
        if any(v <= 0 for v in losses):
            continue
        run = _decreasing_runs(losses)
        longest = max(run)
        if run.count(longest) == 1:
            break
    end = run.index(longest)
    start = end - longest
    lrs = torch.tensor(VALLEY_LRS, dtype=torch.float64)
    answer, _ = valley(lrs, torch.tensor(losses, dtype=torch.float64))
    idx = start + int((end - start) / 3) + int((end - start) / 6)
    assert abs(answer - VALLEY_LRS[idx]) < 1e-12 * VALLEY_LRS[idx]
    table = (
        "\n\n| index | "
        + " | ".join(str(i) for i in range(len(losses)))
        + " |\n|"
        + "---|" * (len(losses) + 1)
    )
    table += "\n| lr | " + " | ".join(f"{lr:.0e}" for lr in VALLEY_LRS) + " |\n"
    table += "| loss | " + " | ".join(f"{v:.1f}" for v in losses) + " |\n\n"
    first = end - longest + 1
    mistakes = {
        "the lowest point": VALLEY_LRS[end],
        "s taken as the run's first point": VALLEY_LRS[
            first + int((end - first) / 3) + int((end - first) / 6)
        ],
        "the first point of the falling run": VALLEY_LRS[first],
    }
    if bump:
        with_bump = longest + 1
        s_bump = end - with_bump
        mistakes["the bump counted in the run"] = VALLEY_LRS[s_bump + int(with_bump / 3) + int(with_bump / 6)]
    mistakes = {k: v for k, v in mistakes.items() if v != answer}
    return Variant(
        {
            "table": table,
            "points": longest,
            "end": end,
            "start": start,
            "gap": end - start,
            "third": int((end - start) / 3),
            "sixth": int((end - start) / 6),
            "idx": idx,
            "skipped": " (the bump is skipped: it is not lower than the point before it)" if bump else "",
        },
        answer,
        mistakes=mistakes,
    )


# --- lesson 4: one-cycle ----------------------------------------------------------------------------------


def _one_cycle_work(n: int, step: int, start: float, peak: float, end: float, pct: float = 0.25) -> str:
    """The cosine formula of one-cycle with this step's numbers substituted."""
    pos = step / n
    if pos < pct:
        frac, a, b, phase = pos / pct, start, peak, f"warm-up, fraction {pos:g} / {pct:g}"
    else:
        frac, a, b = (pos - pct) / (1 - pct), peak, end
        phase = f"annealing, fraction ({pos:g} − {pct:g}) / {1 - pct:g}"
    return (
        f"position = {step} / {n} = {pos:g} ({phase} = {frac:.4g}); "
        f"value = {a:g} + ({b:g} − {a:g}) × (1 − cos(π × {frac:.4g})) / 2"
    )


# (steps, step) at positions 0.12, 0.6, 0.85, 0.15, 0.55, 0.75, 0.175, 0.65, 0.875: all different, both phases
ONE_CYCLE_STEPS = [
    (n, step)
    for n, steps in {100: (12, 60, 85), 200: (30, 110, 150), 400: (70, 260, 350)}.items()
    for step in steps
]


def one_cycle_lr_at(rng: random.Random) -> Variant:
    """The one-cycle LR at a given step (fastai defaults: div 25, div_final 1e5, pct_start 0.25)."""
    from dlcourse.schedules import one_cycle

    # every (steps, step) pair sits at its own position, so no two variants differ only in lr_max
    n, step = rng.choice(ONE_CYCLE_STEPS)
    lr_max = rng.choice([1e-3, 3e-3, 1e-2])
    work = _one_cycle_work(n, step, lr_max / 25, lr_max, lr_max / 1e5)
    return Variant(
        {"n": n, "lr_max": f"{lr_max:g}", "step": step, "work": work}, float(one_cycle(n, lr_max)[0][step, 0])
    )


def one_cycle_mom_at(rng: random.Random) -> Variant:
    """The one-cycle momentum at a given step (moms 0.95, 0.85, 0.95)."""
    from dlcourse.schedules import one_cycle

    n, step = rng.choice(ONE_CYCLE_STEPS)
    work = _one_cycle_work(n, step, 0.95, 0.85, 0.95)
    return Variant({"n": n, "step": step, "work": work}, round(float(one_cycle(n, 1e-2)[1][step]), 6))


def one_cycle_warmup_steps(rng: random.Random) -> Variant:
    """Steps in the warm-up of fit_one_cycle: those whose position step/total is below pct_start."""
    from dlcourse.schedules import one_cycle

    epochs, per_epoch, pct = rng.choice([1, 3, 5]), rng.choice([23, 92, 115]), rng.choice([0.25, 0.3])
    total = epochs * per_epoch
    lrs = one_cycle(total, 1e-2, pct_start=pct)[0][:, 0]
    rising = sum(i / total < pct for i in range(total))  # fastai's phase test, step by step
    assert (lrs[1:rising] >= lrs[: rising - 1]).all(), "the warm-up rises"
    return Variant(
        {
            "epochs": epochs,
            "per_epoch": per_epoch,
            "pct": pct,
            "total": total,
            "bound": f"{pct * total:g}",
            "last": rising - 1,
        },
        rising,
        mistakes={"pct_start of one epoch": math.ceil(pct * per_epoch)} if epochs > 1 else {},
    )


def one_cycle_peak_step(rng: random.Random) -> Variant:
    """The step at which the one-cycle LR peaks."""
    from dlcourse.schedules import one_cycle

    n, pct = rng.choice([100, 200, 400]), rng.choice([0.25, 0.3, 0.5])
    return Variant({"n": n, "pct": pct}, int(one_cycle(n, 1e-2, pct_start=pct)[0][:, 0].argmax()))


def one_cycle_start_lr(rng: random.Random) -> Variant:
    """The LR of the very first step: lr_max / div."""
    from dlcourse.schedules import one_cycle

    lr_max, div = rng.choice([1e-3, 3e-3, 1e-2, 2e-2]), rng.choice([10.0, 25.0, 100.0])
    return Variant(
        {"lr_max": f"{lr_max:g}", "div": f"{div:g}"},
        float(one_cycle(100, lr_max, div=div)[0][0, 0]),
        mistakes={"lr_max itself": lr_max},
    )


def one_cycle_last_lr(rng: random.Random) -> Variant:
    """The learning rate of the last step of a short one-cycle schedule."""
    from dlcourse.schedules import one_cycle

    n, lr_max = rng.choice([10, 20, 50]), rng.choice([1e-3, 1e-2])
    answer = float(one_cycle(n, lr_max)[0][-1, 0])
    return Variant(
        {
            "n": n,
            "lr_max": f"{lr_max:g}",
            "last": n - 1,
            "work": _one_cycle_work(n, n - 1, lr_max / 25, lr_max, lr_max / 1e5),
        },
        answer,
        mistakes={"lr_max / div_final, the end of the cosine": lr_max / 1e5},
    )


# --- lesson 5: unfreezing ----------------------------------------------------------------------


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


# --- lesson 7: multi-label -------------------------------------------------------------------------

TAGS7 = ["agriculture", "clear", "cloudy", "haze", "primary", "road", "water"]


def _tag_list(tags) -> str:
    return ", ".join(tags) if tags else "none"


def argmax_tag_share(rng: random.Random) -> Variant:
    """The largest share of a batch's true tags that one tag per image (argmax) can find, in percent: the
    lesson's `argmax_tags` on outputs that always rank a true tag first."""
    from dlcourse.multilabel import argmax_tags

    n = rng.choice([8, 16, 32, 64])
    several = rng.randint(n // 4, 3 * n // 4)
    extra = [rng.randint(1, 3) for _ in range(several)]  # tags beyond the first, on images with several
    targets = np.zeros((n, len(TAGS7)))
    for i in range(n):
        count = 1 + (extra[i] if i < several else 0)
        targets[i, rng.sample(range(len(TAGS7)), count)] = 1
    logits = targets + rng.random() * 0.1  # a true tag always scores highest
    found = float((argmax_tags(logits) * targets).sum())
    total = int(targets.sum())
    return Variant(
        {"n": n, "several": several, "t": total},
        round(100 * found / total, 1),
        mistakes={
            "the share of images with one tag": 100 * (n - several) / n,
            "the share of images with several tags": 100 * several / n,
        },
    )


def multilabel_bce(rng: random.Random) -> Variant:
    """Binary cross-entropy (mean over tags) of one image's three logits and targets."""
    from dlcourse.multilabel import binary_cross_entropy_with_logits, sigmoid

    logits = np.array([rng.choice([-3, -2, -1, 1, 2, 3]) for _ in range(3)], dtype=float)
    targets = np.array([rng.randint(0, 1) for _ in range(3)], dtype=float)
    if targets.sum() in (0, 3):
        targets[rng.randrange(3)] = 1 - targets[0]
    p = sigmoid(logits)
    terms = -(targets * np.log(p) + (1 - targets) * np.log(1 - p))
    answer = binary_cross_entropy_with_logits(logits[None], targets[None])
    return Variant(
        {
            "logits": ", ".join(f"{v:g}" for v in logits),
            "targets": ", ".join(str(int(v)) for v in targets),
            "probs": ", ".join(f"{v:.4f}" for v in p),
            "terms": " + ".join(f"{v:.4f}" for v in terms),
        },
        round(answer, 4),
        mistakes={
            "the sum, not the mean": float(terms.sum()),
            "-log(p) for every tag, present or not": float(-np.log(p).mean()),
        },
    )


def multilabel_accuracy(rng: random.Random) -> Variant:
    """accuracy_multi (in percent) of two images' probabilities for four tags at a threshold."""
    from dlcourse.multilabel import accuracy_multi

    while True:
        thresh = rng.choice([0.2, 0.3, 0.4, 0.5])
        probs = np.array(
            [[rng.choice([0.05, 0.1, 0.25, 0.35, 0.45, 0.6, 0.8, 0.95]) for _ in range(4)] for _ in range(2)]
        )
        targets = np.array([[rng.randint(0, 1) for _ in range(4)] for _ in range(2)], dtype=float)
        answer = 100 * accuracy_multi(probs, targets, thresh, sigmoid=False)
        recall = 100 * ((probs > thresh) & (targets == 1)).sum() / max(targets.sum(), 1)
        at_half = 100 * accuracy_multi(probs, targets, 0.5, sigmoid=False)
        if thresh != 0.5 and len({round(answer, 1), round(recall, 1), round(at_half, 1)}) == 3:
            break
    rows = [" ".join(f"{v:.2f}" for v in r) for r in probs]
    ys = [" ".join(str(int(v)) for v in r) for r in targets]
    right = int(((probs > thresh) == targets.astype(bool)).sum())
    return Variant(
        {"thresh": f"{thresh:g}", "p1": rows[0], "p2": rows[1], "y1": ys[0], "y2": ys[1], "right": right},
        round(answer, 1),
        mistakes={"the share of true tags found": recall, "the default threshold 0.5": at_half},
    )


def multilabel_tag_count(rng: random.Random) -> Variant:
    """How many tags one image gets at a threshold below 0.5."""
    while True:
        thresh = rng.choice([0.1, 0.15, 0.2, 0.25, 0.3])
        probs = [rng.choice([0.03, 0.08, 0.12, 0.18, 0.22, 0.28, 0.4, 0.55, 0.7, 0.9]) for _ in TAGS7]
        count = sum(p > thresh for p in probs)
        at_half = sum(p > 0.5 for p in probs)
        if count != at_half and count != 1:
            break
    listing = ", ".join(f"{t} {p:.2f}" for t, p in zip(TAGS7, probs, strict=True))
    chosen = ", ".join(t for t, p in zip(TAGS7, probs, strict=True) if p > thresh)
    return Variant(
        {"thresh": f"{thresh:g}", "listing": listing, "chosen": chosen},
        count,
        mistakes={"the default threshold 0.5": at_half, "one tag per image (argmax)": 1},
    )


def multilabel_sigmoid(rng: random.Random) -> Variant:
    """The sigmoid probability of one logit, and softmax's share when the other tags' logits are given."""
    from dlcourse.multilabel import sigmoid
    from dlcourse.softmax import softmax

    logits = np.array([rng.choice([0.5, 1.0, 1.5, 2.0, 2.5]) for _ in range(3)])
    p = float(sigmoid(logits[0]))
    return Variant(
        {
            "z": f"{logits[0]:g}",
            "others": " and ".join(f"{v:g}" for v in logits[1:]),
            "exp": f"{math.exp(-logits[0]):.4f}",
        },
        round(p, 3),
        mistakes={"softmax over the three tags": float(softmax(logits)[0]), "1 / (1 + e^z)": 1 - p},
    )


def multilabel_fbeta_samples(rng: random.Random) -> Variant:
    """F2 averaged over two images (average='samples', Planet's score), from their tag counts."""
    from dlcourse.multilabel import fbeta

    while True:
        true = [set(rng.sample(TAGS7, rng.randint(1, 3))) for _ in range(2)]
        predicted = [set(rng.sample(TAGS7, rng.randint(1, 3))) for _ in range(2)]
        y = np.array([[t in s for t in TAGS7] for s in true], dtype=float)
        p = np.array([[t in s for t in TAGS7] for s in predicted], dtype=float)
        answer = fbeta(p, y, beta=2, sigmoid=False)
        micro = fbeta(p, y, beta=2, sigmoid=False, average="micro")
        per_image = [fbeta(p[i : i + 1], y[i : i + 1], beta=2, sigmoid=False) for i in range(2)]
        if all(per_image) and abs(answer - micro) > 0.002:
            break
    return Variant(
        {
            "t1": _tag_list(sorted(true[0])),
            "p1": _tag_list(sorted(predicted[0])),
            "t2": _tag_list(sorted(true[1])),
            "p2": _tag_list(sorted(predicted[1])),
            "f1": f"{per_image[0]:.4f}",
            "f2": f"{per_image[1]:.4f}",
        },
        round(answer, 3),
        mistakes={"counts summed over both images first (micro)": micro},
    )


# --- lesson 8: segmentation ----------------------------------------------------------------------------

CODES8 = ["Background", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot", "Void"]  # the lesson's codes.txt
VOID8 = CODES8.index("Void")


def _one_hot_logits(predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """Logits (1, classes, H, W) whose argmax over the classes is `predicted` (H, W)."""
    return (np.arange(n_classes)[:, None, None] == predicted[None]).astype(float)[None]


def _code_list(values) -> str:
    return ", ".join(f"{v} {CODES8[v]}" for v in sorted({int(x) for x in np.ravel(values)}))


def _mask_pair(true: np.ndarray, predicted: np.ndarray) -> dict[str, str]:
    """A question's true and predicted masks as grids, with the codes that appear in either."""
    return {
        "codes": _code_list(np.concatenate([true.ravel(), predicted.ravel()])),
        "true": _grid(true),
        "predicted": _grid(predicted),
    }


def segmentation_void_accuracy(rng: random.Random) -> Variant:
    """Accuracy without Void (percent) of a predicted 4×4 mask against the true one, as the lesson's
    `void_excluded_accuracy` (and fastai's `foreground_acc` with `bkg_idx` = Void) computes it."""
    from dlcourse.segmentation import void_excluded_accuracy

    classes = [0, 2, 4]  # Background, Shirt, Bag
    while True:
        true = np.array([rng.choice(classes + [0, VOID8]) for _ in range(16)]).reshape(4, 4)
        predicted = np.array(
            [
                t if t != VOID8 and rng.random() < 0.7 else rng.choice([c for c in classes if c != t])
                for t in true.ravel()
            ]
        ).reshape(4, 4)
        n_void = int((true == VOID8).sum())
        scored = 16 - n_void
        right = int(((predicted == true) & (true != VOID8)).sum())
        if not 2 <= n_void <= 5 or right in (0, scored):
            continue
        answer = 100 * void_excluded_accuracy(_one_hot_logits(predicted, len(CODES8)), true[None], VOID8)
        mistakes = {
            "Void pixels counted, as wrong": 100 * right / 16,
            "Void pixels counted, as right": 100 * (right + n_void) / 16,
        }
        if all(abs(answer - m) > 0.5 for m in mistakes.values()):
            break
    return Variant(
        {
            **_mask_pair(true, predicted),
            "n_void": n_void,
            "scored": scored,
            "right": right,
        },
        round(answer, 1),
        mistakes=mistakes,
    )


def segmentation_baseline(rng: random.Random) -> Variant:
    """The accuracy without Void (percent) of a model that answers the commonest class everywhere, from
    the pixel counts of a set of masks, as the lesson's `pixel_shares` computes it from the mask files."""
    import tempfile
    from pathlib import Path

    from PIL import Image

    from dlcourse.segmentation import pixel_shares

    n_masks = rng.choice([10, 20, 40])
    total = n_masks * 56 * 56
    void = 56 * rng.randint(total // 56 // 12, total // 56 // 6)  # 8 to 17 % Void
    objects = [56 * rng.randint(total // 56 // 60, total // 56 // 18) for _ in CODES8[1:-1]]
    counts = [total - void - sum(objects), *objects, void]
    mask = np.repeat(np.arange(len(CODES8), dtype=np.uint8), counts).reshape(56, -1)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "labels").mkdir()
        Image.fromarray(mask).save(Path(folder) / "labels" / "all_P.png")
        shares = pixel_shares(Path(folder), CODES8)
    best = shares.loc[shares["share without Void"].idxmax()]
    scored = total - void
    return Variant(
        {
            "n_masks": n_masks,
            "counts": ", ".join(f"{c} {n:,}" for c, n in zip(CODES8, counts, strict=True)),
            "total": f"{total:,}",
            "scored": f"{scored:,}",
            "commonest": best["class"],
            "best": f"{int(best['pixels']):,}",
        },
        round(100 * float(best["share without Void"]), 1),
        mistakes={
            "Void counted in the total": 100 * counts[0] / total,
            "one class in seven, a random guess": 100 / 7,
        },
    )


SEG_SETS = [("the lesson's scenes", 7, 56, 56), ("CamVid", 32, 360, 480), ("CamVid", 32, 720, 960)]
SEG_SETS += [("a medical data set", 4, 256, 256), ("a satellite data set", 12, 128, 128)]


def segmentation_output_numbers(rng: random.Random) -> Variant:
    """How many numbers a U-Net outputs for one image: one per class (Void included) per pixel, the shape
    of its last layer's output, found with a 1×1 convolution to as many channels as codes (on `meta`,
    shapes only)."""
    import torch

    name, n_codes, height, width = rng.choice(SEG_SETS)
    last = torch.nn.Conv2d(48, n_codes, kernel_size=1, device="meta")  # as the lesson's last ConvLayer
    out = last(torch.empty(1, 48, height, width, device="meta"))
    return Variant(
        {
            "name": name,
            "n_codes": n_codes,
            "h": height,
            "w": width,
            "shape": tuple(out.shape[1:]),
            "count": f"{out[0].numel():,}",
        },
        out[0].numel(),
        mistakes={
            "one number per pixel, the class": height * width,
            "no output for Void": (n_codes - 1) * height * width,
            "three per pixel, as the input": 3 * height * width,
        },
    )


def unet_block_channels(rng: random.Random) -> Variant:
    """Channels out of a fastai `UnetBlock` in the middle of the decoder (not the last), run on zeros."""
    import torch
    from fastai.vision.models.unet import UnetBlock

    up_c, x_c, h = rng.choice([128, 256, 512]), rng.choice([32, 64, 128, 256]), rng.choice([2, 4, 7])

    class Stored:  # what fastai's hook on the encoder layer holds: that layer's output
        stored = torch.zeros(1, x_c, 2 * h, 2 * h)

    block = UnetBlock(up_c, x_c, Stored(), final_div=True).eval()
    with torch.no_grad():
        out = block(torch.zeros(1, up_c, h, h))
    return Variant(
        {"up_c": up_c, "x_c": x_c, "h": h, "h2": 2 * h, "half": up_c // 2, "shape": tuple(out.shape[1:])},
        int(out.shape[1]),
        mistakes={
            "no halving in the upsampling": up_c + x_c,
            "forgetting the skip": up_c // 2,
            "halving after the concatenation": (up_c // 2 + x_c) // 2,
        },
    )


def unet_skip_layer(rng: random.Random) -> Variant:
    """Which encoder layer DynamicUnet takes a skip connection from, at a given size: the last layer
    before the size changes (fastai's own `_get_sz_change_idxs`)."""
    from fastai.vision.models.unet import _get_sz_change_idxs

    while True:
        size = rng.choice([56, 64, 128, 224, 256])
        n_stem = rng.choice([1, 2, 3])  # convolutions, norms, activations at size / 2
        sizes = [size // 2] * n_stem + [size // 4, size // 4]  # a max pool, then a stage that keeps size
        while len(sizes) < n_stem + 5:
            sizes.append(math.ceil(sizes[-1] / 2))  # each further stage halves (7 → 4)
        skips = [int(i) for i in _get_sz_change_idxs([(s, s) for s in sizes])]
        asked = rng.choice(skips)
        first = sizes.index(sizes[asked])
        if first != asked:
            break
    return Variant(
        {
            "size": size,
            "layers": ", ".join(f"{i}: {s}×{s}" for i, s in enumerate(sizes)),
            "s": sizes[asked],
            "next": sizes[asked + 1],
            "skips": ", ".join(map(str, skips)),
        },
        asked,
        mistakes={"the first layer of that size": first, "the first layer after the shrink": asked + 1},
    )


def pixel_cross_entropy(rng: random.Random) -> Variant:
    """fastai's loss for masks, `CrossEntropyLossFlat(axis=1)`, on a 1×2 image with three classes."""
    import torch
    from fastai.losses import CrossEntropyLossFlat

    names = ["Background", "Shirt", "Bag"]
    while True:
        logits = np.array([[rng.randint(-1, 3) for _ in range(2)] for _ in range(3)], dtype=float)
        target = [rng.randrange(3), rng.randrange(3)]
        probs = np.exp(logits) / np.exp(logits).sum(axis=0)
        p = np.array([probs[t, j] for j, t in enumerate(target)])
        if (p < 0.8).all() and len(set(logits[:, 0])) > 1 and len(set(logits[:, 1])) > 1:
            break
    loss = CrossEntropyLossFlat(axis=1)(
        torch.tensor(logits[None, :, None, :]), torch.tensor([[target]], dtype=torch.long)
    )
    across = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)  # softmax over the pixels
    wrong_axis = -np.mean([np.log(across[t, j]) for j, t in enumerate(target)])
    return Variant(
        {
            "pixels": "; ".join(
                f"Pixel {j + 1}: scores {', '.join(f'{names[c]} {logits[c, j]:g}' for c in range(3))}, "
                f"true class {names[t]}"
                for j, t in enumerate(target)
            ),
            "p": " and ".join(f"{v:.4g}" for v in p),
            "terms": " and ".join(f"{-math.log(v):.4f}" for v in p),
        },
        round(float(loss), 4),
        mistakes={
            "the sum over pixels, not the mean": float(-np.log(p).sum()),
            "softmax over the pixels": float(wrong_axis),
        },
    )


def segmentation_class_recall(rng: random.Random) -> Variant:
    """The share (percent) of one class's true pixels that the model predicts as that class: the
    lesson's `per_class_accuracy` ('predicted right') for that class."""
    from dlcourse.segmentation import per_class_accuracy

    classes = [0, 2, 4]  # Background, Shirt, Bag
    while True:
        true = np.array([rng.choice([0, 0, 2, 2, 4]) for _ in range(25)]).reshape(5, 5)
        predicted = np.array(
            [t if rng.random() < 0.65 else rng.choice([c for c in classes if c != t]) for t in true.ravel()]
        ).reshape(5, 5)
        asked = rng.choice([2, 4])
        found = int(((true == asked) & (predicted == asked)).sum())
        n_true, n_predicted = int((true == asked).sum()), int((predicted == asked).sum())
        if not found or found == n_true or n_true == n_predicted:
            continue
        table = per_class_accuracy(_one_hot_logits(predicted, len(CODES8)), true[None], CODES8)
        answer = 100 * float(table.loc[table["class"] == CODES8[asked], "predicted right"].iloc[0])
        mistakes = {
            "the share of the pixels predicted as the class that are right (precision)": 100
            * found
            / n_predicted,
            "the accuracy over all pixels": 100 * float((true == predicted).mean()),
        }
        if all(abs(answer - m) > 0.5 for m in mistakes.values()):
            break
    return Variant(
        {
            **_mask_pair(true, predicted),
            "cls": CODES8[asked],
            "k": asked,
            "n_true": n_true,
            "found": found,
        },
        round(answer, 1),
        mistakes=mistakes,
    )


# --- lesson 9: text --------------------------------------------------------------------------------------

SPECIALS9 = 9  # fastai's special tokens, always the first entries of a vocabulary (`defaults.text_spec_tok`)
REVIEW_NOUNS = ["coffee", "tea", "price", "taste", "snack", "box", "sauce", "flavor"]
REVIEW_WORDS = ["good", "fresh", "cheap", "sweet", "strong", "nice", "bad", "salty"]


@lru_cache(maxsize=1)
def _text_tokenizer():
    from dlcourse import text

    return text.tokenizer()


def _review_sentence(rng: random.Random) -> str:
    """A short made-up review: capitalised words, a word in capitals, a repeated character and a repeated
    word, in a few orders and lengths."""
    noun, other = rng.sample(REVIEW_NOUNS, 2)
    word, shout, extra = rng.sample(REVIEW_WORDS, 3)
    opener = rng.choice(["Great", "Fine", "Lovely", "Awful"])
    bang = "!" * rng.randint(3, 6)
    first = rng.choice(
        [
            f"{opener} {noun}, {shout.upper()} {other}{bang}",
            f"{opener} {noun} and {shout.upper()} {other}{bang}",
            f"{opener} {noun}{bang} {shout.upper()}, {extra} {other}.",
            f"{shout.upper()} {noun}{bang}",
        ]
    )
    repeated = " ".join([rng.choice(["very", "so", "really"])] * rng.randint(3, 5))
    second = rng.choice(
        [
            f"{rng.choice(['My', 'Our', 'The'])} kids think it is {repeated} {word}.",
            f"It is {repeated} {word} and {extra}.",
            f"{rng.choice(['My', 'Our'])} dog {rng.choice(['Rex', 'Max'])} finds it {repeated} {word}.",
        ]
    )
    parts = [first, second] if rng.random() < 0.7 else [second, first]
    if rng.random() < 0.5:
        parts.append(rng.choice(["Buy", "Try", "Skip"]) + " it.")
    return " ".join(parts)


def text_token_count(rng: random.Random) -> Variant:
    """How many tokens fastai's default tokenizer (the lesson's `text.tokenizer()`) gives for a review."""
    review = _review_sentence(rng)
    tokens = list(_text_tokenizer()(review))
    special = [t for t in tokens if t.startswith("xx")]
    counts = sum(t in ("xxrep", "xxwrep") for t in tokens)  # each repeat also writes its count
    return Variant(
        {"review": review, "tokens": "`" + " ".join(tokens) + "`", "n_special": len(special)},
        len(tokens),
        mistakes={
            "split at the spaces": len(review.split()),
            "no xxbos": len(tokens) - 1,
            "no special tokens (repeats written out once)": len(tokens) - len(special) - counts,
        },
    )


def _pad8(n: int) -> int:
    return n + 8 - n % 8


def vocab_size_from_counts(rng: random.Random) -> Variant:
    """The length of the vocabulary fastai's rule (the lesson's `text.make_vocab`) makes from token counts."""
    from dlcourse import text

    while True:
        min_freq = rng.choice([2, 3, 4, 5])
        more, exact, fewer = rng.randint(150, 900), rng.randint(20, 200), rng.randint(300, 1500)
        kept = more + exact
        if (SPECIALS9 + kept) % 8 == 0:  # the lesson speaks of padding *to* a multiple of 8: skip that edge
            continue
        mistakes = {
            "special tokens left out": _pad8(kept),
            "no xxfake padding": SPECIALS9 + kept,
            "more than min_freq times (> instead of >=)": _pad8(SPECIALS9 + more),
            "xxbos and xxmaj counted again among the words": _pad8(SPECIALS9 + 2 + kept),
        }
        answer = _pad8(SPECIALS9 + kept)
        if answer not in mistakes.values():
            break
    n_reviews = rng.choice([1000, 2000, 5000])
    tokens = ["xxbos"] * n_reviews + ["xxmaj"] * (3 * n_reviews)
    for i in range(more):
        tokens += [f"w{i}"] * (min_freq + 1 + i % 7)
    for i in range(exact):
        tokens += [f"x{i}"] * min_freq
    for i in range(fewer):
        tokens += [f"y{i}"] * (1 + i % (min_freq - 1))
    vocab = text.make_vocab([tokens], min_freq=min_freq)
    return Variant(
        {
            "min_freq": min_freq,
            "n_reviews": f"{n_reviews:,}",
            "n_maj": f"{3 * n_reviews:,}",
            "more": more,
            "exact": exact,
            "fewer": f"{fewer:,}",
            "kept": kept,
            "listed": SPECIALS9 + kept,
            "fake": len(vocab) - SPECIALS9 - kept,
        },
        len(vocab),
        mistakes=mistakes,
    )


def token_index(rng: random.Random) -> Variant:
    """The number a token gets from fastai's rule (the lesson's `make_vocab` and `numericalize`): special
    tokens first, then the others from most to least frequent; a token seen under min_freq times: xxunk."""
    from dlcourse import text

    min_freq = 3
    words = rng.sample(REVIEW_NOUNS + REVIEW_WORDS, 7)
    counts = dict(zip(words, rng.sample(range(min_freq, 60), 7), strict=True))
    asked = rng.choice(words)
    if rng.random() < 0.35:  # a word too rare for the vocabulary
        counts[asked] = rng.choice(range(1, min_freq))
    counts["xxmaj"] = rng.choice([c for c in range(10, 70) if c not in counts.values()])
    order = list(counts)
    rng.shuffle(order)
    tokens = [t for t in order for _ in range(counts[t])]
    vocab = text.make_vocab([tokens], min_freq=min_freq)
    answer = text.numericalize([asked], vocab)[0]
    ranked = sorted((w for w in words if counts[w] >= min_freq), key=lambda w: -counts[w])
    with_maj = sorted([w for w in words if counts[w] >= min_freq] + ["xxmaj"], key=lambda w: -counts[w])
    if asked in ranked:
        rank = ranked.index(asked)
        mistakes = {
            "special tokens forgotten": rank,
            "counting from 1": SPECIALS9 + rank + 1,
            "xxmaj ranked by its count among the words": SPECIALS9 + with_maj.index(asked),
        }
        mistakes = {k: v for k, v in mistakes.items() if v != answer}
        why = f"is word {rank + 1} by frequency among those kept, so its number is 9 + {rank} = {answer}"
    else:
        rare_rank = sorted(words, key=lambda w: -counts[w]).index(asked)
        mistakes = {"a number of its own after the others": SPECIALS9 + rare_rank}
        why = f"appears only {['once', 'twice'][counts[asked] - 1]}, too rare: it becomes `xxunk`, number 0"
    listing = ", ".join(f"`{t}` {counts[t]}" for t in sorted(counts, key=lambda t: -counts[t]))
    return Variant(
        {"counts": listing, "min_freq": min_freq, "asked": asked, "why": why}, answer, mistakes=mistakes
    )


def lm_row_length(rng: random.Random) -> Variant:
    """How many input tokens each row of a language-model stream holds: fastai's `LMDataLoader` keeps one
    token back for the last target and cuts the rest into `bs` equal rows."""
    import torch
    from fastai.text.data import LMDataLoader

    bs, seq_len = rng.choice([16, 32, 64]), rng.choice([64, 72, 80])
    per_row = rng.randint(400, 9000)
    n_tokens = bs * per_row
    lens = [n_tokens // 4] * 3 + [n_tokens - 3 * (n_tokens // 4)]
    dl = LMDataLoader([torch.zeros(n, dtype=torch.long) for n in lens], lens=lens, bs=bs, seq_len=seq_len)
    return Variant(
        {"n_tokens": f"{n_tokens:,}", "bs": bs, "seq_len": seq_len, "usable": f"{n_tokens - 1:,}"},
        dl.bl,
        mistakes={
            "forgetting the one-token shift": n_tokens // bs,
            "rows of seq_len tokens": n_tokens // seq_len,
        },
    )


def lm_batches(rng: random.Random) -> Variant:
    """How many batches one epoch of fastai's `LMDataLoader` takes: each row read seq_len tokens at a time,
    the last stretch shorter."""
    import torch
    from fastai.text.data import LMDataLoader

    while True:
        bs, seq_len = rng.choice([16, 32, 64]), rng.choice([64, 72, 80])
        n_tokens = rng.randint(50, 900) * 1000 + rng.randint(1, 999)
        row = (n_tokens - 1) // bs
        if row % seq_len:
            break
    lens = [n_tokens // 2, n_tokens - n_tokens // 2]
    dl = LMDataLoader([torch.zeros(n, dtype=torch.long) for n in lens], lens=lens, bs=bs, seq_len=seq_len)
    full = row // seq_len
    return Variant(
        {
            "n_tokens": f"{n_tokens:,}",
            "bs": bs,
            "seq_len": seq_len,
            "row": f"{row:,}",
            "full": full,
            "last": dl.last_len,
        },
        len(dl),
        mistakes={
            "dropping the shorter last batch": full,
            "forgetting the rows (one stretch of seq_len per batch)": math.ceil(n_tokens / seq_len),
        },
    )


def perplexity_from_loss(rng: random.Random) -> Variant:
    """fastai's `Perplexity` metric for a given mean cross-entropy: exp(loss)."""
    import torch
    from fastai.metrics import Perplexity

    loss = round(rng.uniform(3.6, 5.4), 3)

    class Batch:  # what fastai's metric reads from the learner after a validation batch
        yb = (torch.zeros(64, 72),)

        @staticmethod
        def to_detach(x):
            return x.detach()

    batch = Batch()
    batch.loss = torch.tensor(loss)
    metric = Perplexity()
    metric.reset()
    metric.accumulate(batch)
    return Variant(
        {"loss": f"{loss:.3f}"},
        round(float(metric.value), 1),
        mistakes={"10 to the power of the loss": 10**loss, "2 to the power of the loss": 2**loss},
    )


def uniform_guess_loss(rng: random.Random) -> Variant:
    """Cross-entropy of a model that spreads its probability evenly over k tokens, the right one among them:
    ln k, which makes its perplexity k (computed with PyTorch's cross-entropy)."""
    import torch

    vocab_size = rng.choice([4008, 8000, 60000])
    k = rng.choice([12, 20, 25, 40, 50, 80, 150, 300])
    logits = torch.full((1, vocab_size), -1e9)
    logits[0, :k] = 0.0
    loss = float(torch.nn.functional.cross_entropy(logits, torch.tensor([rng.randrange(k)])))
    return Variant(
        {"vocab": f"{vocab_size:,}", "k": k},
        round(loss, 2),
        mistakes={
            "log base 10": math.log10(k),
            "log base 2": math.log2(k),
            "evenly over the whole vocabulary": math.log(vocab_size),
        },
    )


UNFREEZING_FACTOR = 2.6**4  # ULMFiT's ratio of the top group's rate to the earliest group's, as in lesson 9


def unfreezing_group_lr(rng: random.Random) -> Variant:
    """The peak rate of the earliest group that trains in a stage of lesson 9's gradual unfreezing (head
    alone at lr; then slice(top / 2.6**4, top) with top lr / 2, lr / 4, lr / 20), spread over the AWD-LSTM
    classifier's parameter groups."""
    from fastai.text.models.awdlstm import AWD_LSTM, awd_lstm_clas_config, awd_lstm_clas_split
    from fastai.text.models.core import get_text_classifier

    from dlcourse.schedules import group_lrs

    factor = UNFREEZING_FACTOR
    # The stages of the lesson's gradual unfreezing: (name, groups trained, top rate as a share of lr).
    stages = [("last two groups", 2, 1 / 2), ("last three groups", 3, 1 / 4), ("all layers", None, 1 / 20)]
    while True:
        n_layers = rng.choice([2, 3])
        name, trained, share = rng.choice(stages)
        if trained is None or trained < n_layers + 2:
            break
    config = {**awd_lstm_clas_config, "emb_sz": 8, "n_hid": 8, "n_layers": n_layers}
    n_groups = len(awd_lstm_clas_split(get_text_classifier(AWD_LSTM, 50, 2, config=config)))
    trained = n_groups if trained is None else trained
    lr = rng.choice([1e-2, 2e-2, 4e-2])
    top = lr * share
    lrs = group_lrs(slice(top / factor, top), n_groups)
    first = n_groups - trained
    mistakes = {
        "the stage's top rate forgotten (lr itself)": float(
            group_lrs(slice(lr / factor, lr), n_groups)[first]
        )
    }
    if first:
        mistakes["evenly spaced rates (linear)"] = top / factor + (top - top / factor) * first / (
            n_groups - 1
        )
        mistakes["the bottom of the slice (a frozen group's rate)"] = top / factor
    else:
        mistakes["the top rate divided by 2.6 once"] = top / 2.6
    frozen = {0: "", 1: " The group below it stays frozen."}.get(
        first, f" The {first} groups below it stay frozen."
    )
    return Variant(
        {
            "lr": f"{lr:g}",
            "name": name,
            "n_layers": n_layers,
            "n_groups": n_groups,
            "top": f"{top:g}",
            "bottom": f"{top / factor:.4g}",
            "trained": trained,
            "step": f"{factor ** (1 / (n_groups - 1)):.4g}",
            "steps": f"{n_groups - 1 - first} step{'s' if n_groups - 2 - first else ''}",
            "power": n_groups - 1 - first,
            "frozen": frozen,
            "gaps": n_groups - 1,
            "which": (["the embeddings"] + [f"LSTM layer {i}" for i in range(1, n_groups - 1)])[first],
        },
        float(f"{lrs[first]:.4g}"),
        mistakes=mistakes,
    )
