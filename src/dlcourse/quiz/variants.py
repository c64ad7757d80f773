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


def activation_shape_channels(rng: random.Random) -> Variant:
    """Channels of the activation stack a bank of kernels produces from an image."""
    channels, n_kernels, size = rng.choice([1, 3]), rng.choice([2, 4, 6, 8]), rng.choice([6, 8])
    image = np.zeros((channels, size, size))
    out = kernels.conv2d_im2col(image, np.zeros((n_kernels, channels, 3, 3)), padding=1)
    return Variant({"C": channels, "K": n_kernels, "H": size}, out.shape[0])


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
            "p": f"{probs[target]:.4f}",
        },
        round(loss, 4),
        mistakes={"log base 10": -math.log10(probs[target]), "1 − p": 1 - probs[target]},
    )


def _grid(values: np.ndarray) -> str:
    """A small array as a markdown code block."""
    rows = ["  ".join(f"{v:>3g}" for v in row) for row in np.asarray(values, dtype=float)]
    return "\n\n```\n" + "\n".join(rows) + "\n```\n\n"


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


def validation_count(rng: random.Random) -> Variant:
    """How many images fastai's RandomSplitter puts in the validation set."""
    from fastai.data.transforms import RandomSplitter

    n, pct = rng.choice([450, 1001, 7390, 2503]), rng.choice([0.1, 0.2, 0.25])
    _, valid = RandomSplitter(valid_pct=pct, seed=0)(list(range(n)))
    return Variant({"n": n, "pct": int(pct * 100), "product": f"{pct * n:g}"}, len(valid))


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


def steps_per_epoch(rng: random.Random) -> Variant:
    """Training steps in one epoch: fastai's training DataLoader drops the last incomplete batch."""
    from fastai.data.load import DataLoader

    n, bs = rng.choice([360, 5912, 1000, 450]), rng.choice([16, 32, 64])
    steps = len(DataLoader(list(range(n)), bs=bs, shuffle=True, drop_last=True))
    return Variant({"n": n, "bs": bs}, steps, mistakes={"keeping the last partial batch": math.ceil(n / bs)})


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
        f"value = {a:g} + (1 + cos(π·(1 − {frac:.4g}))) × ({b:g} − {a:g}) / 2"
    )


def one_cycle_lr_at(rng: random.Random) -> Variant:
    """The one-cycle LR at a given step (fastai defaults: div 25, div_final 1e5, pct_start 0.25)."""
    from dlcourse.schedules import one_cycle

    n, lr_max = rng.choice([100, 200, 400]), rng.choice([1e-3, 3e-3, 1e-2])
    step = rng.choice([n // 8, n // 2, 3 * n // 4, 7 * n // 8])
    work = _one_cycle_work(n, step, lr_max / 25, lr_max, lr_max / 1e5)
    return Variant(
        {"n": n, "lr_max": f"{lr_max:g}", "step": step, "work": work}, float(one_cycle(n, lr_max)[0][step, 0])
    )


def one_cycle_mom_at(rng: random.Random) -> Variant:
    """The one-cycle momentum at a given step (moms 0.95, 0.85, 0.95)."""
    from dlcourse.schedules import one_cycle

    n = rng.choice([100, 200, 400])
    step = rng.choice([n // 8, n // 4, n // 2, 3 * n // 4])
    work = _one_cycle_work(n, step, 0.95, 0.85, 0.95)
    return Variant({"n": n, "step": step, "work": work}, round(float(one_cycle(n, 1e-2)[1][step]), 6))


def one_cycle_warmup_steps(rng: random.Random) -> Variant:
    """Steps in the warm-up of fit_one_cycle: those whose position step/total is below pct_start."""
    from dlcourse.schedules import one_cycle

    epochs, per_epoch, pct = rng.choice([1, 3, 5]), rng.choice([23, 92, 115]), rng.choice([0.25, 0.3])
    total = epochs * per_epoch
    lrs = one_cycle(total, 1e-2, pct_start=pct)[0][:, 0]
    rising = int(lrs.argmax())
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


def fine_tune_total_steps(rng: random.Random) -> Variant:
    """Optimizer steps of fine_tune(epochs): one frozen epoch, then `epochs` unfrozen ones."""
    from fastai.data.load import DataLoader

    n, bs, epochs = rng.choice([360, 5912, 1000, 450]), rng.choice([16, 32, 64]), rng.choice([2, 3, 4, 5])
    per_epoch = len(DataLoader(list(range(n)), bs=bs, shuffle=True, drop_last=True))
    return Variant(
        {"n": n, "bs": bs, "epochs": epochs, "per_epoch": per_epoch},
        per_epoch * (1 + epochs),
        mistakes={"forgetting the frozen epoch": per_epoch * epochs},
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
