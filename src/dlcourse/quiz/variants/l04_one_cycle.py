"""Variant makers for the computed questions of quiz 04 (`quiz/04_one_cycle.yml`)."""

from __future__ import annotations

import math
import random

from dlcourse.quiz.bank import Variant


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
