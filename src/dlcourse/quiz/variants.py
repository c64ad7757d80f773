"""Variant makers for computed quiz questions: fn(rng) -> (parameters, answer).

The answer always comes from running the library code the lesson teaches.
"""

from __future__ import annotations

import random

import numpy as np

from dlcourse import kernels, pooling, receptive_field, softmax


def conv_output_size(rng: random.Random) -> tuple[dict, int]:
    """Output width of a convolution for a random n, k, padding, stride."""
    while True:
        n, k = rng.choice([5, 6, 7, 8, 9, 12, 28, 32, 64, 224]), rng.choice([1, 3, 5, 7])
        p, s = rng.choice([0, 1, 2, 3]), rng.choice([1, 2, 3])
        if k <= n + 2 * p:
            return {"n": n, "k": k, "p": p, "s": s}, kernels.output_size(n, k, padding=p, stride=s)


def same_padding(rng: random.Random) -> tuple[dict, int]:
    """Padding that keeps the size unchanged at stride 1 for an odd kernel size k."""
    k = rng.choice([3, 5, 7, 9, 11])
    n = rng.choice([16, 28, 32])
    padding = next(p for p in range(k) if kernels.output_size(n, k, padding=p) == n)
    return {"k": k, "n": n}, padding


def kernel_on_patch(rng: random.Random) -> tuple[dict, float]:
    """A named kernel applied to a small integer patch: the activation at the centre."""
    name = rng.choice(["sobel x", "sobel y", "sharpen", "outline", "emboss", "identity"])
    patch = np.array([[rng.randint(0, 9) for _ in range(3)] for _ in range(3)])
    value = float(kernels.conv2d_loop(patch, kernels.kernel(name))[0, 0])
    return {"name": name, "kernel": _grid(kernels.kernel(name)), "patch": _grid(patch)}, value


def kernel_weights(rng: random.Random) -> tuple[dict, int]:
    """Number of weights in a bank of K kernels of size k x k over C input channels."""
    n_kernels, channels, k = rng.choice([8, 16, 32, 64]), rng.choice([1, 3, 16, 32]), rng.choice([1, 3, 5])
    bank = np.zeros((n_kernels, channels, k, k))
    return {"K": n_kernels, "C": channels, "k": k}, int(bank.size)


def activation_shape_channels(rng: random.Random) -> tuple[dict, int]:
    """Channels of the activation stack a bank of kernels produces from an image."""
    channels, n_kernels, size = rng.choice([1, 3]), rng.choice([2, 4, 6, 8]), rng.choice([6, 8])
    image = np.zeros((channels, size, size))
    out = kernels.conv2d_im2col(image, np.zeros((n_kernels, channels, 3, 3)), padding=1)
    return {"C": channels, "K": n_kernels, "H": size}, out.shape[0]


def relu_count(rng: random.Random) -> tuple[dict, int]:
    """How many entries of an activation map survive a ReLU (stay above zero)."""
    values = [rng.randint(-5, 5) for _ in range(9)]
    grid = np.array(values).reshape(3, 3)
    return {"grid": _grid(grid)}, int((kernels.relu(grid) > 0).sum())


def pooled_value(rng: random.Random) -> tuple[dict, float]:
    """One output of 2×2 max or average pooling (stride 2) of a 4×4 map."""
    grid = np.array([[rng.randint(0, 9) for _ in range(4)] for _ in range(4)])
    kind = rng.choice(["max", "average"])
    row, col = rng.randint(0, 1), rng.randint(0, 1)
    pooled = (pooling.max_pool if kind == "max" else pooling.avg_pool)(grid, 2)
    window = grid[2 * row : 2 * row + 2, 2 * col : 2 * col + 2]
    return {
        "kind": kind,
        "grid": _grid(grid),
        "where": ["top", "bottom"][row] + "-" + ["left", "right"][col],
        "window": ", ".join(str(v) for v in window.ravel()),
    }, float(pooled[row, col])


LAYERS = {"conv 3×3, stride 1": (3, 1), "conv 3×3, stride 2": (3, 2), "max pool 2×2, stride 2": (2, 2)}


def stack_receptive_field(rng: random.Random) -> tuple[dict, int]:
    """Receptive field of one output pixel after a random stack of 3 or 4 layers."""
    names = [rng.choice(list(LAYERS)) for _ in range(rng.choice([3, 4]))]
    table = receptive_field.receptive_fields([(name, *LAYERS[name]) for name in names])
    steps = ["r = 1, j = 1"] + [
        f"{row.layer}: r = {row.receptive_field}, j = {row.jump}" for row in table.itertuples()
    ]
    return {"layers": "; then ".join(names), "steps": "; ".join(steps)}, int(table.receptive_field.iloc[-1])


def cross_entropy_of_scores(rng: random.Random) -> tuple[dict, float]:
    """Cross-entropy of one image with three class scores, the right class given."""
    scores = np.array([rng.randint(-2, 4) for _ in range(3)], dtype=float)
    target = rng.randrange(3)
    probs = softmax.softmax(scores)
    loss = softmax.cross_entropy(scores[None], np.array([target]))
    return {
        "scores": ", ".join(f"{v:g}" for v in scores),
        "target": ["first", "second", "third"][target],
        "z": f"{scores[target]:g}",
        "exps": " + ".join(f"e^{v:g}" for v in scores),
        "p": f"{probs[target]:.4f}",
    }, round(loss, 4)


def _grid(values: np.ndarray) -> str:
    """A small array as a markdown code block."""
    rows = ["  ".join(f"{v:>3g}" for v in row) for row in np.asarray(values, dtype=float)]
    return "\n\n```\n" + "\n".join(rows) + "\n```\n\n"


# --- lesson 2: training a CNN ------------------------------------------------------------------------


def error_rate_percent(rng: random.Random) -> tuple[dict, float]:
    """fastai's error_rate for n validation images of which `wrong` are misclassified, in percent."""
    import torch
    from fastai.metrics import error_rate

    n, wrong = rng.choice([80, 200, 500, 1478]), rng.randint(1, 40)
    targets = torch.zeros(n, dtype=torch.long)
    preds = torch.zeros(n, 2)
    preds[:wrong, 1] = 1.0  # these predict class 1 although the target is 0
    return {"n": n, "wrong": wrong}, round(float(error_rate(preds, targets)) * 100, 2)


def validation_count(rng: random.Random) -> tuple[dict, int]:
    """How many images fastai's RandomSplitter puts in the validation set."""
    from fastai.data.transforms import RandomSplitter

    n, pct = rng.choice([450, 1000, 7390, 2500]), rng.choice([0.1, 0.2, 0.25])
    _, valid = RandomSplitter(valid_pct=pct, seed=0)(list(range(n)))
    return {"n": n, "pct": int(pct * 100)}, len(valid)


def batch_megabytes(rng: random.Random) -> tuple[dict, float]:
    """Size in MB (10^6 bytes) of one float32 input batch of RGB images."""
    import torch

    bs, size = rng.choice([16, 32, 64, 128]), rng.choice([128, 224, 256])
    batch = torch.zeros(bs, 3, size, size, dtype=torch.float32)
    return {"bs": bs, "size": size}, round(batch.element_size() * batch.nelement() / 1e6, 2)


def pixel_cost_ratio(rng: random.Random) -> tuple[dict, float]:
    """How many times more pixels (roughly compute and activation memory) a larger square image has."""
    import torch

    small, large = rng.choice([(128, 256), (224, 448), (160, 320), (224, 336)])
    return {"small": small, "large": large}, torch.zeros(large, large).numel() / torch.zeros(
        small, small
    ).numel()


def frozen_trainable_parameters(rng: random.Random) -> tuple[dict, int]:
    """Trainable parameters of the offline model with a new head for n classes, body frozen."""
    from dlcourse.train import parameter_counts

    n = rng.choice([2, 5, 10, 37])
    return {"n": n}, parameter_counts(n)["frozen"]


# --- lesson 3: the learning-rate finder ---------------------------------------------------------------


def range_test_lr(rng: random.Random) -> tuple[dict, float]:
    """The learning rate at step i of an exponential range test."""
    from dlcourse.lr_finder import exponential_lrs

    start, end, num_it = 1e-7, 10.0, rng.choice([100, 200])
    i = rng.choice([25, 50, 70, 90]) * num_it // 100
    return {"start": "1e-7", "end": 10, "num_it": num_it, "i": i}, exponential_lrs(start, end, num_it)[i]


def smoothed_third_loss(rng: random.Random) -> tuple[dict, float]:
    """The bias-corrected exponential moving average after three losses, beta 0.98."""
    from dlcourse.lr_finder import smooth

    losses = [round(rng.uniform(1.0, 3.0), 1) for _ in range(3)]
    return {"l1": losses[0], "l2": losses[1], "l3": losses[2]}, round(smooth(losses)[-1], 4)


def _curve(rng: random.Random):
    import torch

    lrs = torch.tensor([10.0**e for e in range(-6, 1)])  # 1e-6 ... 1
    drop = rng.randint(2, 4)
    losses = [2.3, 2.3 - 0.1 * rng.randint(0, 2)]
    for _ in range(drop):
        losses.append(losses[-1] - round(rng.uniform(0.3, 0.6), 1))
    while len(losses) < 7:
        losses.append(losses[-1] + round(rng.uniform(0.5, 1.5), 1))
    losses = torch.tensor([round(v, 1) for v in losses])
    table = "\n\n| lr | " + " | ".join(f"{lr:.0e}" for lr in lrs.tolist()) + " |\n|" + "---|" * 8 + "\n"
    table += "| loss | " + " | ".join(f"{v:.1f}" for v in losses.tolist()) + " |\n\n"
    return lrs, losses, table


def minimum_rule(rng: random.Random) -> tuple[dict, float]:
    """The `minimum` suggestion (a tenth of the LR of the lowest loss) on a small curve."""
    from dlcourse.lr_finder import minimum

    lrs, losses, table = _curve(rng)
    return {"table": table}, minimum(lrs, losses)[0]


def steep_rule(rng: random.Random) -> tuple[dict, float]:
    """The `steep` suggestion (steepest fall per unit of log LR) on a small curve."""
    from dlcourse.lr_finder import steep

    lrs, losses, table = _curve(rng)
    return {"table": table}, steep(lrs, losses)[0]


# --- lesson 4: one-cycle ----------------------------------------------------------------------------------


def one_cycle_lr_at(rng: random.Random) -> tuple[dict, float]:
    """The one-cycle LR at a given step (fastai defaults: div 25, div_final 1e5, pct_start 0.25)."""
    from dlcourse.schedules import one_cycle

    n, lr_max = rng.choice([100, 200, 400]), rng.choice([1e-3, 3e-3, 1e-2])
    step = rng.choice([0, n // 8, n // 4, n // 2, 3 * n // 4])
    return {"n": n, "lr_max": f"{lr_max:g}", "step": step}, float(one_cycle(n, lr_max)[0][step, 0])


def one_cycle_mom_at(rng: random.Random) -> tuple[dict, float]:
    """The one-cycle momentum at a given step (moms 0.95, 0.85, 0.95)."""
    from dlcourse.schedules import one_cycle

    n = rng.choice([100, 200, 400])
    step = rng.choice([0, n // 8, n // 4, n // 2, 3 * n // 4])
    return {"n": n, "step": step}, round(float(one_cycle(n, 1e-2)[1][step]), 4)


def one_cycle_peak_step(rng: random.Random) -> tuple[dict, int]:
    """The step at which the one-cycle LR peaks."""
    from dlcourse.schedules import one_cycle

    n, pct = rng.choice([100, 200, 400]), rng.choice([0.25, 0.3, 0.5])
    return {"n": n, "pct": pct}, int(one_cycle(n, 1e-2, pct_start=pct)[0][:, 0].argmax())


def one_cycle_start_lr(rng: random.Random) -> tuple[dict, float]:
    """The LR of the very first step: lr_max / div."""
    from dlcourse.schedules import one_cycle

    lr_max, div = rng.choice([1e-3, 3e-3, 1e-2, 2e-2]), rng.choice([10.0, 25.0, 100.0])
    return {"lr_max": f"{lr_max:g}", "div": f"{div:g}"}, float(one_cycle(100, lr_max, div=div)[0][0, 0])


# --- lesson 5: unfreezing ----------------------------------------------------------------------


def slice_group_lr(rng: random.Random) -> tuple[dict, float]:
    """The learning rate slice(lo, hi) gives to one parameter group."""
    from dlcourse.schedules import group_lrs

    lo, hi = rng.choice([(1e-6, 1e-4), (1e-5, 1e-3), (1e-4, 1e-2)])
    n = rng.choice([3, 5])
    k = rng.randint(1, n - 2)
    return {"lo": f"{lo:g}", "hi": f"{hi:g}", "n": n, "k": k + 1}, float(group_lrs(slice(lo, hi), n)[k])


def fine_tune_body_lr(rng: random.Random) -> tuple[dict, float]:
    """The peak LR of the first (earliest) group in fine_tune's unfrozen stage."""
    from dlcourse.schedules import group_lrs

    base = rng.choice([1e-3, 2e-3, 5e-3, 1e-2])
    half = base / 2
    return {"base": f"{base:g}"}, float(group_lrs(slice(half / 100, half), 3)[0])


def unfrozen_trainable_parameters(rng: random.Random) -> tuple[dict, int]:
    """Trainable parameters of the offline model with a new head for n classes, after unfreeze()."""
    from dlcourse.train import parameter_counts

    n = rng.choice([2, 5, 10, 37])
    return {"n": n}, parameter_counts(n)["unfrozen"]


def steps_per_epoch(rng: random.Random) -> tuple[dict, int]:
    """Training steps in one epoch: fastai's training DataLoader drops the last incomplete batch."""
    from fastai.data.load import DataLoader

    n, bs = rng.choice([360, 5912, 1000, 450]), rng.choice([16, 32, 64])
    return {"n": n, "bs": bs}, len(DataLoader(list(range(n)), bs=bs, shuffle=True, drop_last=True))


def one_cycle_last_lr(rng: random.Random) -> tuple[dict, float]:
    """The learning rate of the last step of a one-cycle schedule (close to lr_max / div_final)."""
    from dlcourse.schedules import one_cycle

    n, lr_max = rng.choice([10, 20, 50]), rng.choice([1e-3, 1e-2])
    return {"n": n, "lr_max": f"{lr_max:g}"}, float(one_cycle(n, lr_max)[0][-1, 0])


def frozen_percent(rng: random.Random) -> tuple[dict, float]:
    """The share of the offline model's parameters that train while its body is frozen, in percent."""
    from dlcourse.train import parameter_counts

    n = rng.choice([2, 5, 10, 37])
    counts = parameter_counts(n)
    return {"n": n}, round(100 * counts["frozen"] / counts["unfrozen"], 1)
