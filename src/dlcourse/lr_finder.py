"""The learning-rate range test, re-derived in plain PyTorch (fastai's `lr_find`, step by step).

Train for `num_it` mini-batches while the LR grows exponentially from `start_lr` to `end_lr`,
record an exponentially smoothed loss, stop once it exceeds 4x the best seen, then put the weights
back. The four suggestion rules read the recorded curve the way fastai's do.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class RangeTest:
    lrs: list[float]
    losses: list[float]  # smoothed, as plotted
    raw_losses: list[float]


def exponential_lrs(start_lr: float, end_lr: float, num_it: int) -> list[float]:
    """The LR used at each step: start * (end/start) ** (i / num_it)."""
    return [start_lr * (end_lr / start_lr) ** (i / num_it) for i in range(num_it)]


def smooth(losses: Iterable[float], beta: float = 0.98) -> list[float]:
    """Exponential moving average with bias correction (early values are not pulled towards 0)."""
    avg, out = 0.0, []
    for i, loss in enumerate(losses, start=1):
        avg = beta * avg + (1 - beta) * loss
        out.append(avg / (1 - beta**i))
    return out


def lr_range_test(
    model: torch.nn.Module,
    batches: Iterable,
    loss_func: Callable,
    optimizer: torch.optim.Optimizer,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_it: int = 100,
    stop_div: bool = True,
    beta: float = 0.98,
    max_steps: int | None = None,
) -> RangeTest:
    """Run the range test on `batches` (cycled as needed) and restore model and optimizer afterwards.

    `max_steps` stops it early (the learning rates still follow the `num_it` schedule)."""
    num_it = max(num_it, 6)  # as fastai
    saved_model, saved_opt = copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict())
    model.train()
    lrs, raw, smoothed = [], [], []
    avg, best = 0.0, math.inf
    try:
        schedule = exponential_lrs(start_lr, end_lr, num_it)[:max_steps]
        for i, (lr, (xb, yb)) in enumerate(zip(schedule, itertools.cycle(batches), strict=False)):
            for group in optimizer.param_groups:
                group["lr"] = lr
            loss = loss_func(model(xb), yb)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            raw.append(loss.item())
            avg = beta * avg + (1 - beta) * raw[-1]
            smoothed.append(avg / (1 - beta ** (i + 1)))
            lrs.append(lr)
            best = min(best, smoothed[-1])
            if stop_div and (smoothed[-1] > 4 * best or math.isnan(smoothed[-1])):
                break
    finally:
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_opt)
    return RangeTest(lrs, smoothed, raw)


def trim(test: RangeTest, num_it: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The part of the curve the rules look at: skip the first tenth and the last 5 points, stop at a NaN."""
    lrs = torch.tensor(test.lrs[num_it // 10 : -5])
    losses = torch.tensor(test.losses[num_it // 10 : -5])
    nans = torch.nonzero(torch.isnan(losses))
    if len(nans):
        lrs, losses = lrs[: nans.min()], losses[: nans.min()]
    return lrs, losses


# --- suggestion rules: each takes the trimmed curve and returns (lr, (x, y) point to mark) -------------


def valley(lrs: torch.Tensor, losses: torch.Tensor) -> tuple[float, tuple[float, float]]:
    """Middle-early part of the longest run of ever-decreasing loss (longest decreasing subsequence)."""
    n = len(losses)
    run = [1] * n  # run[i]: longest decreasing subsequence ending at i
    best_start = best_end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and run[i] < run[j] + 1:
                run[i] = run[j] + 1
            if run[best_end] < run[i]:
                best_end = i
                best_start = best_end - run[best_end]
    third = (best_end - best_start) / 3
    idx = best_start + int(third) + int(third / 2)
    return float(lrs[idx]), (float(lrs[idx]), float(losses[idx]))


def slide(
    lrs: torch.Tensor,
    losses: torch.Tensor,
    lr_diff: int = 15,
    thresh: float = 0.005,
    adjust_value: float = 1.0,
) -> tuple[float, tuple[float, float]]:
    """Walk left from the end until the loss slope 15 steps apart stops changing: the last calm LR."""
    losses_np = losses.numpy()
    slope = np.gradient(losses_np)
    right, left = -1, -1 - lr_diff
    pick = lrs[left]
    while left >= -len(losses_np) and abs(slope[right] - slope[left]) > thresh:
        pick = lrs[left]
        right, left = right - 1, left - 1
    lr = float(pick) * adjust_value
    return lr, (lr, float(np.interp(np.log10(lr), np.log10(lrs.numpy()), losses_np)))


def minimum(lrs: torch.Tensor, losses: torch.Tensor) -> tuple[float, tuple[float, float]]:
    """A tenth of the LR with the lowest loss."""
    lr_min = lrs[losses.argmin()].item()
    return lr_min / 10, (lr_min, float(losses[_nearest(lrs, lr_min)]))


def steep(lrs: torch.Tensor, losses: torch.Tensor) -> tuple[float, tuple[float, float]]:
    """The LR where the loss falls fastest per unit of log(LR)."""
    slopes = (losses[1:] - losses[:-1]) / (lrs[1:].log() - lrs[:-1].log())
    lr = lrs[slopes.argmin()].item()
    return lr, (lr, float(losses[_nearest(lrs, lr)]))


def _nearest(lrs: torch.Tensor, lr: float) -> int:
    return min(range(len(lrs)), key=lambda i: abs(lrs[i] - lr))


RULES = {"valley": valley, "slide": slide, "minimum": minimum, "steep": steep}


def suggest(test: RangeTest, num_it: int, rules: Iterable[str] = tuple(RULES)) -> dict[str, float]:
    lrs, losses = trim(test, num_it)
    return {name: RULES[name](lrs, losses)[0] for name in rules}


def plot(test: RangeTest, num_it: int, ax=None, skip_end: int = 5):
    """The loss-vs-LR curve on a log axis, with every rule's suggestion marked."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(6, 4))[1]
    ax.plot(test.lrs[:-skip_end], test.losses[:-skip_end])
    lrs, losses = trim(test, num_it)
    for name, rule in RULES.items():
        _, (x, y) = rule(lrs, losses)
        ax.plot(x, y, "o", label=f"{name}: {x:.1e}")
    ax.set(xscale="log", xlabel="learning rate", ylabel="smoothed loss")
    ax.legend()
    return ax


def from_recorder(learn) -> RangeTest:
    """The curve of the last `learn.lr_find()`, as recorded by fastai."""
    return RangeTest(list(learn.recorder.lrs), [float(x) for x in learn.recorder.losses], [])


def compare_with_fastai(learn, num_it: int = 100, end_lr: float = 10.0) -> tuple[RangeTest, RangeTest, dict]:
    """Run fastai's `lr_find` on `learn`, then this module's test on the same starting weights and batches.

    For identical arithmetic `learn` should use plain SGD without weight decay (fastai's `SGD`, wd=0),
    the optimizer the by-hand test is given; dropout is switched off for both runs, since its random
    masks would differ. Returns (fastai's curve, ours, fastai's suggestions).
    """
    import torch.nn.functional as F
    from fastai.callback.core import Callback
    from fastai.callback.schedule import minimum as f_minimum
    from fastai.callback.schedule import slide as f_slide
    from fastai.callback.schedule import steep as f_steep
    from fastai.callback.schedule import valley as f_valley

    class KeepBatches(Callback):
        """The batches exactly as the model saw them (after every other callback's changes)."""

        def __init__(self):
            self.batches = []

        def after_loss(self):
            if self.training:
                self.batches.append(
                    tuple(t.detach().clone().as_subclass(torch.Tensor) for t in (self.xb[0], self.yb[0]))
                )

    dropouts = [(m, m.p) for m in learn.model.modules() if isinstance(m, torch.nn.Dropout)]
    for m, _ in dropouts:
        m.p = 0.0
    start = copy.deepcopy(learn.model.state_dict())
    keep = KeepBatches()
    learn.add_cb(keep)
    try:
        found = learn.lr_find(
            end_lr=end_lr,
            num_it=num_it,
            show_plot=False,
            suggest_funcs=(f_valley, f_slide, f_minimum, f_steep),
        )
    finally:
        learn.remove_cb(keep)
        for m, p in dropouts:
            m.p = p
    theirs = from_recorder(learn)
    model = copy.deepcopy(learn.model)
    model.load_state_dict(start)
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    trainable = [p for p in model.parameters() if p.requires_grad]
    ours = lr_range_test(
        model,
        keep.batches,
        lambda out, y: F.cross_entropy(out, y),
        torch.optim.SGD(trainable, lr=0.0),
        end_lr=end_lr,
        num_it=num_it,
        max_steps=len(keep.batches),  # as many steps as fastai took, on the same batches
    )
    return theirs, ours, found._asdict()
