"""Variant makers for the computed questions of quiz 03 (`quiz/03_lr_finder.yml`)."""

from __future__ import annotations

import math
import random

from dlcourse.quiz.bank import Variant


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
