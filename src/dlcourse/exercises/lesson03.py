"""Lesson 3's exercises: the range test's learning rates, the smoothed loss, the steep rule. References:
fastai's `LRFinder` schedule, `AvgSmoothLoss` and `steep`."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch

from dlcourse.exercises.core import Case, Exercise, Mistake

# --- the learning rate at each step of the range test -------------------------------------------------


def _fastai_finder_lr(i: int, start_lr: float = 1e-7, end_lr: float = 10.0, num_it: int = 100) -> float:
    from fastai.callback.schedule import LRFinder  # imported here: fastai takes a while to load

    finder = LRFinder(start_lr=start_lr, end_lr=end_lr, num_it=num_it)
    return finder.scheds["lr"](i / finder.num_it)  # what its before_batch sets at training step i


def _finder_lr_cases() -> list[Case]:
    rng = np.random.default_rng(3)
    return [
        Case("the first step, i = 0", (0,)),
        Case("step 50 of 100: halfway in log scale", (50,)),
        Case("the last step, 99 of 100", (99,)),
        Case("step 1 of 100", (1,)),
        Case("step 120 of 200", (120,), {"num_it": 200}),
        Case("from 1e-5 to 1, step 7 of 10", (7,), {"start_lr": 1e-5, "end_lr": 1.0, "num_it": 10}),
        *(
            Case(
                f"random step {i} of 300 from 1e-6 to 3",
                (int(i),),
                {"start_lr": 1e-6, "end_lr": 3.0, "num_it": 300},
            )
            for i in rng.integers(2, 298, size=2)
        ),
    ]


FINDER_LR = Exercise(
    id="03.finder_lr",
    title="The range test's learning rates",
    function="finder_lr",
    prompt=(
        "Write `finder_lr(i, start_lr=1e-7, end_lr=10.0, num_it=100)`: the learning rate the range test "
        "trains with at step `i` (counted from 0; the test takes `num_it` steps, i = 0 to num_it − 1). It "
        "grows exponentially: it starts at `start_lr` at step 0 and is multiplied by the same factor at "
        "every step, so that it would reach `end_lr` at step `num_it`, one step after the last. Return a "
        "float. The check compares your result with the schedule of fastai's `LRFinder` (the callback "
        "`lr_find` adds), `SchedExp(start_lr, end_lr)` read at position `i / num_it`. Every case has "
        "`num_it` of at least 6."
    ),
    starter='''def finder_lr(i, start_lr=1e-7, end_lr=10.0, num_it=100):
    """The learning rate at step i (0 to num_it - 1) of the range test. Returns a float."""
    raise NotImplementedError
''',
    solution='''def finder_lr(i, start_lr=1e-7, end_lr=10.0, num_it=100):
    """The learning rate at step i (0 to num_it - 1) of the range test. Returns a float."""
    pos = i / num_it  # how far through the test: 0 at the first step, just under 1 at the last
    # exponential: start_lr times the ratio raised to pos, i.e. a straight line in log(lr)
    return start_lr * (end_lr / start_lr) ** pos
''',
    hints=(
        "Exponential growth is a straight line on a log scale: log(lr) goes evenly from log(start_lr) to "
        "log(end_lr). Put the position through the test as `pos = i / num_it`.",
        "At pos = 0 the result must be `start_lr`, at pos = 1 it would be `end_lr`, and each step multiplies "
        "the rate by the same factor: `(end_lr / start_lr) ** (1 / num_it)`.",
        "`start_lr * (end_lr / start_lr) ** (i / num_it)`. Divide by `num_it`, not `num_it - 1`: the last "
        "step stops just short of `end_lr`.",
    ),
    reference=_fastai_finder_lr,
    cases=_finder_lr_cases,
    atol=0,  # learning rates start at 1e-7: only the relative tolerance counts
    mistakes=(
        Mistake(
            "Your rates grow in a straight line, so almost every step uses a rate near `end_lr` and the tiny "
            "rates are skipped. The range test grows them exponentially: "
            "`start_lr * (end_lr / start_lr) ** (i / num_it)`.",
            """def finder_lr(i, start_lr=1e-7, end_lr=10.0, num_it=100):
    return start_lr + (end_lr - start_lr) * i / num_it
""",
        ),
        Mistake(
            "You divided by `num_it - 1`, so your last step reaches `end_lr` exactly. fastai puts step i at "
            "position `i / num_it`: the last step stops one factor short of `end_lr`.",
            """def finder_lr(i, start_lr=1e-7, end_lr=10.0, num_it=100):
    return start_lr * (end_lr / start_lr) ** (i / (num_it - 1))
""",
        ),
        Mistake(
            "Your rates are one step ahead: step 0 must train at `start_lr` itself. Steps count from 0, so "
            "the position is `i / num_it`, not `(i + 1) / num_it`.",
            """def finder_lr(i, start_lr=1e-7, end_lr=10.0, num_it=100):
    return start_lr * (end_lr / start_lr) ** ((i + 1) / num_it)
""",
        ),
    ),
)


# --- the smoothed loss ----------------------------------------------------------------------------


def _fastai_smooth(losses: list[float], beta: float = 0.98) -> np.ndarray:
    """fastai's AvgSmoothLoss, given one loss at a time as the Recorder does after every training batch."""
    from fastai.learner import AvgSmoothLoss

    metric = AvgSmoothLoss(beta=beta)
    metric.reset()
    smoothed = []
    for loss in losses:
        metric.accumulate(SimpleNamespace(loss=torch.tensor(loss)))  # it reads only `learn.loss`
        smoothed.append(float(metric.value))
    return np.array(smoothed)


def _falling_losses(n: int, seed: int) -> list[float]:
    """A range test's raw losses: flat, then falling, then shooting up, with batch-to-batch noise."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, n)
    curve = 2.3 - 1.5 / (1 + np.exp(-20 * (x - 0.5))) + 240 * np.maximum(x - 0.85, 0) ** 2
    return [float(v) for v in curve * np.exp(rng.normal(0, 0.15, n))]


def _smooth_cases() -> list[Case]:
    return [
        Case("one loss: the smoothed value is that loss", ([2.5],)),
        Case("a constant loss of 2.0: smoothing must keep it at 2.0", ([2.0] * 6,)),
        Case("three losses", ([2.0, 1.0, 3.0],)),
        Case("three losses with beta = 0.9", ([2.0, 1.0, 3.0],), {"beta": 0.9}),
        Case("a falling loss with beta = 0.5", ([4.0, 3.0, 2.5, 2.0, 1.0, 0.8, 0.6],), {"beta": 0.5}),
        Case("100 noisy losses of a range test", (_falling_losses(100, 6),)),
        Case("60 noisy losses with beta = 0.9", (_falling_losses(60, 7),), {"beta": 0.9}),
    ]


SMOOTH = Exercise(
    id="03.smooth_loss",
    title="The smoothed loss",
    function="smooth_losses",
    prompt=(
        "Write `smooth_losses(losses, beta=0.98)`: the smoothed loss fastai records (and `lr_find` plots) "
        "after each training batch. `losses` is a list of floats, the raw loss of each batch in order. Keep "
        "a running average that starts at 0 and, at the i-th loss (i = 1, 2, ...), becomes "
        "`beta * average + (1 - beta) * loss`; the smoothed value at that step is the average divided by "
        "`1 - beta ** i`, which undoes the pull towards the starting 0. Return a list with one smoothed "
        "value per loss. The check feeds the same losses one by one to fastai's `AvgSmoothLoss(beta)` (the "
        "`Recorder` uses it with beta = 0.98) and reads its `value` after each."
    ),
    starter='''def smooth_losses(losses, beta=0.98):
    """losses: list of floats. Returns the debiased exponential moving average after each one, as a list."""
    raise NotImplementedError
''',
    solution='''def smooth_losses(losses, beta=0.98):
    """losses: list of floats. Returns the debiased exponential moving average after each one, as a list."""
    average, smoothed = 0.0, []
    for i, loss in enumerate(losses, start=1):  # i counts the losses seen so far: 1, 2, ...
        average = beta * average + (1 - beta) * loss  # the old average weighs beta, the new loss 1 - beta
        # the weights given to the losses so far add up to 1 - beta**i, not 1 (the rest sits on the
        # starting 0); dividing by it removes that pull towards 0. Only the output is divided: the
        # running average itself carries on undivided.
        smoothed.append(average / (1 - beta**i))
    return smoothed
''',
    hints=(
        "Loop over the losses with a counter that starts at 1 (`enumerate(losses, start=1)`), keeping one "
        "running average that starts at 0.0.",
        "Update it as `average = beta * average + (1 - beta) * loss`: with beta = 0.98 each new loss moves "
        "the average only 2 % of the way. After one loss that is just 0.02 × the loss, hence the correction.",
        "Append `average / (1 - beta ** i)` to the output but keep `average` itself undivided for the next "
        "step. With a single loss x this gives 0.02x / 0.02 = x.",
    ),
    reference=_fastai_smooth,
    cases=_smooth_cases,
    mistakes=(
        Mistake(
            "Your early values are far too small: the average starts at 0, so after one loss it is only "
            "(1 − beta) × that loss. Divide each output by `1 - beta ** i` (i = 1 for the first loss).",
            """def smooth_losses(losses, beta=0.98):
    average, smoothed = 0.0, []
    for loss in losses:
        average = beta * average + (1 - beta) * loss
        smoothed.append(average)
    return smoothed
""",
        ),
        Mistake(
            "You gave the weight `beta` to the new loss: the old average keeps `beta` (98 %) and each new "
            "loss gets `1 - beta`, so that one noisy batch hardly moves the curve.",
            """def smooth_losses(losses, beta=0.98):
    average, smoothed = 0.0, []
    for i, loss in enumerate(losses, start=1):
        average = beta * loss + (1 - beta) * average
        smoothed.append(average / (1 - beta ** i))
    return smoothed
""",
        ),
        Mistake(
            "You divided the running average itself by `1 - beta ** i` and carried the divided value on, so "
            "the correction compounds (a constant loss should stay constant). Divide only what you append; "
            "keep the running average undivided.",
            """def smooth_losses(losses, beta=0.98):
    average, smoothed = 0.0, []
    for i, loss in enumerate(losses, start=1):
        average = beta * average + (1 - beta) * loss
        average = average / (1 - beta ** i)
        smoothed.append(average)
    return smoothed
""",
        ),
        Mistake(
            "You started the average at the first loss instead of 0. That also avoids the pull towards 0, "
            "but it weighs the first batch far more than fastai does: start at 0 and divide each output by "
            "`1 - beta ** i`.",
            """def smooth_losses(losses, beta=0.98):
    average, smoothed = losses[0], []
    for loss in losses:
        average = beta * average + (1 - beta) * loss
        smoothed.append(average)
    return smoothed
""",
        ),
    ),
    rtol=1e-5,
    atol=1e-5,  # fastai smooths in float32
)


# --- the steep rule -------------------------------------------------------------------------------


def _fastai_steep(lrs: torch.Tensor, losses: torch.Tensor) -> float:
    from fastai.callback.schedule import steep

    return steep(lrs, losses, len(lrs))[0]  # (suggested lr, point to mark); its num_it is not used


def _curve(n: int, seed: int, low: float = 1e-6, high: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """A trimmed range-test curve: exponentially spaced rates and smoothed losses that fall, then rise."""
    rng = np.random.default_rng(seed)
    lrs = low * (high / low) ** (np.arange(n) / n)
    t = np.log10(lrs / low) / np.log10(high / low)
    losses = 2.0 - 1.2 / (1 + np.exp(-12 * (t - 0.45))) + 6 * np.maximum(t - 0.8, 0) ** 2
    losses = losses + np.cumsum(rng.normal(0, 0.004, n))  # smoothed losses wander a little
    return torch.tensor(lrs, dtype=torch.float32), torch.tensor(losses, dtype=torch.float32)


def _steep_cases() -> list[Case]:
    return [
        Case(
            "5 points: the loss falls most between the 2nd and the 3rd",
            (torch.tensor([1e-4, 1e-3, 1e-2, 1e-1, 1.0]), torch.tensor([2.3, 2.2, 1.5, 1.3, 4.0])),
        ),
        Case(
            "6 points: the steepest fall comes before the lowest loss",
            (
                torch.tensor([1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]),
                torch.tensor([2.0, 1.2, 1.0, 0.9, 0.8, 3.0]),
            ),
        ),
        Case(
            "rates not evenly spaced: the slope divides by each gap in log(lr)",
            (torch.tensor([1e-5, 1e-4, 2e-4, 1e-3, 1e-2]), torch.tensor([2.0, 1.5, 1.3, 1.1, 2.5])),
        ),
        Case("a range-test curve of 85 points (seed 8)", _curve(85, 8)),
        Case("a range-test curve of 85 points (seed 9)", _curve(85, 9)),
        Case("a curve of 180 points from 1e-7 to 10", _curve(180, 10, 1e-7, 10.0)),
    ]


STEEP = Exercise(
    id="03.steep",
    title="The steep rule",
    function="steep",
    prompt=(
        "Write `steep(lrs, losses)`: the `steep` rule's suggestion, the learning rate where the loss falls "
        "fastest against the logarithm of the learning rate. `lrs` and `losses` are 1-D float tensors of the "
        "same length n, the range test's curve as the rules read it (already trimmed, learning rates "
        "increasing). For each pair of neighbouring points k and k + 1 (k = 0 to n − 2), the slope is "
        "`(losses[k + 1] - losses[k]) / (log(lrs[k + 1]) - log(lrs[k]))`; find the most negative slope and "
        "return the learning rate at its left end, `lrs[k]`, as a Python float. The check compares your "
        "result with the first value fastai's `steep(lrs, losses, num_it)` returns (from "
        "`fastai.callback.schedule`)."
    ),
    starter='''def steep(lrs, losses):
    """lrs, losses: 1-D tensors of a curve. Returns the lr (a float) where loss falls fastest per log(lr)."""
    raise NotImplementedError
''',
    solution='''def steep(lrs, losses):
    """lrs, losses: 1-D tensors of a curve. Returns the lr (a float) where loss falls fastest per log(lr)."""
    log_lrs = lrs.log()
    # the slope of each of the n - 1 segments between neighbouring points: rise over run, in log(lr)
    slopes = (losses[1:] - losses[:-1]) / (log_lrs[1:] - log_lrs[:-1])
    k = slopes.argmin()  # the most negative slope: the steepest fall
    return lrs[k].item()  # the segment's left end, as a Python float
''',
    hints=(
        "Neighbouring differences of a whole tensor at once: `losses[1:] - losses[:-1]` has n − 1 values, "
        "one per segment. Do the same with `lrs.log()`.",
        "Divide the two to get one slope per segment. The loss falls fastest where the slope is most "
        "*negative*: that is `argmin`, not `argmax`.",
        "The suggestion is the learning rate at the left end of that segment, `lrs[slopes.argmin()].item()`: "
        "a learning rate, not a loss, and not the index.",
    ),
    reference=_fastai_steep,
    cases=_steep_cases,
    atol=0,
    mistakes=(
        Mistake(
            "You found where the loss *rises* fastest (`argmax`), which is where training blows up. The "
            "steep rule wants the fastest fall: the most negative slope, `argmin`.",
            """def steep(lrs, losses):
    slopes = (losses[1:] - losses[:-1]) / (lrs[1:].log() - lrs[:-1].log())
    return lrs[slopes.argmax()].item()
""",
        ),
        Mistake(
            "You divided by the change in the learning rate itself. The curve is read on a log scale: divide "
            "by the change in `log(lr)`, otherwise the wide gaps at large rates hide every fall there.",
            """def steep(lrs, losses):
    slopes = (losses[1:] - losses[:-1]) / (lrs[1:] - lrs[:-1])
    return lrs[slopes.argmin()].item()
""",
        ),
        Mistake(
            "You compared the loss differences alone. That works only while the rates are evenly spaced in "
            "log scale: divide each difference by its gap in `log(lr)` to get a slope.",
            """def steep(lrs, losses):
    return lrs[(losses[1:] - losses[:-1]).argmin()].item()
""",
        ),
        Mistake(
            "You returned the learning rate at the right end of the steepest segment. fastai suggests its "
            "left end: segment k runs from point k to point k + 1, so return `lrs[k]`.",
            """def steep(lrs, losses):
    slopes = (losses[1:] - losses[:-1]) / (lrs[1:].log() - lrs[:-1].log())
    return lrs[slopes.argmin() + 1].item()
""",
        ),
        Mistake(
            "You returned a loss: the rule suggests the *learning rate* at the steepest point, "
            "`lrs[k].item()`.",
            """def steep(lrs, losses):
    slopes = (losses[1:] - losses[:-1]) / (lrs[1:].log() - lrs[:-1].log())
    return losses[slopes.argmin()].item()
""",
        ),
    ),
)

EXERCISES = [FINDER_LR, SMOOTH, STEEP]
