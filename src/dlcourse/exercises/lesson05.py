"""Lesson 5's exercises: the learning rates of the parameter groups from a slice, which groups train
after `freeze_to`, and the learning rates `fine_tune` uses. References: fastai's `Optimizer` and
`Learner.fine_tune`."""

from __future__ import annotations

import warnings

import numpy as np

from dlcourse.exercises.core import Case, Exercise, Mistake, show


def _fastai_optimizer(n_groups: int):
    """A fastai optimizer with `n_groups` parameter groups of one plain weight each."""
    import torch
    from fastai.optimizer import SGD

    return SGD([[torch.zeros(1, requires_grad=True)] for _ in range(n_groups)], lr=0.1)


# --- 05.group_lrs -------------------------------------------------------------------------------------------


def _fastai_group_lrs(lr, n_groups: int) -> list[float]:
    opt = _fastai_optimizer(n_groups)
    opt.set_hyper("lr", lr)  # what fit and fit_one_cycle do with the learning rate you pass them
    return [float(h["lr"]) for h in opt.hypers]


def _group_lrs_cases() -> list[Case]:
    rng = np.random.default_rng(5)
    cases = [
        Case("a float, 1e-3, for 3 groups", (1e-3, 3)),
        Case("slice(1e-2) for 3 groups", (slice(1e-2), 3)),
        Case("slice(1e-4, 1e-2) for 3 groups, as in the lesson", (slice(1e-4, 1e-2), 3)),
        Case("slice(1e-5, 1e-3) for 4 groups: the middle rates are not round", (slice(1e-5, 1e-3), 4)),
        Case("slice(3e-3) for 2 groups", (slice(3e-3), 2)),
        Case("slice(1e-4, 1e-2) for a single group", (slice(1e-4, 1e-2), 1)),
    ]
    for _ in range(2):
        lo = float(10 ** rng.uniform(-6, -4))
        hi = float(lo * 10 ** rng.uniform(1, 3))
        n = int(rng.integers(2, 7))
        cases.append(Case(f"a random slice for {n} groups", (slice(lo, hi), n)))
    return cases


GROUP_LRS = Exercise(
    id="05.group_lrs",
    title="Learning rates for the parameter groups",
    function="group_lrs",
    prompt=(
        "A learner's parameters are split into parameter groups, the earliest layers of the body first and "
        "the head last, and each group can train at its own learning rate. Write `group_lrs(lr, n_groups)`: "
        "the learning rate fastai gives each of the `n_groups` groups when you pass `lr` to `fit` or "
        "`fit_one_cycle`. `lr` is one of three things:\n\n"
        "- a float: every group gets it;\n"
        "- `slice(hi)`, with a stop only: the last group gets `hi` and every other group `hi / 10`;\n"
        "- `slice(lo, hi)`: the first group gets `lo`, the last gets `hi`, and the groups in between get "
        "rates spaced evenly on a log scale (each one is the one before times the same factor). A single "
        "group gets `hi`.\n\n"
        "Return a list of `n_groups` floats, the first group's rate first. The check builds a fastai "
        "`Optimizer` with `n_groups` parameter groups, calls its `set_hyper('lr', lr)` (which is what "
        "`fit_one_cycle` does with the rate you give it) and reads each group's rate."
    ),
    starter='''def group_lrs(lr, n_groups):
    """lr: a float, slice(hi) or slice(lo, hi). Returns n_groups learning rates, first group first."""
    raise NotImplementedError
''',
    solution='''def group_lrs(lr, n_groups):
    """lr: a float, slice(hi) or slice(lo, hi). Returns n_groups learning rates, first group first."""
    if not isinstance(lr, slice):  # one rate for everything
        return [float(lr)] * n_groups
    hi = lr.stop
    if lr.start is None:  # slice(hi): the head gets hi, the rest a tenth of it
        return [hi / 10] * (n_groups - 1) + [hi]
    if n_groups == 1:  # nothing to spread: the single group gets the top rate
        return [hi]
    lo = lr.start
    # n_groups - 1 equal steps on a log scale: each step multiplies by (hi / lo) ** (1 / (n_groups - 1))
    return [lo * (hi / lo) ** (i / (n_groups - 1)) for i in range(n_groups)]
''',
    hints=(
        "Tell the three kinds apart first: `isinstance(lr, slice)`, then `lr.start is None` for `slice(hi)`. "
        "A slice's two ends are `lr.start` and `lr.stop`.",
        "Evenly on a log scale means a constant ratio between neighbours. With n groups there are n − 1 "
        "steps from `lo` to `hi`, so each step multiplies by `(hi / lo) ** (1 / (n - 1))`. A single group "
        "has no steps: it gets `hi`.",
        "For `slice(lo, hi)`: `[lo * (hi / lo) ** (i / (n_groups - 1)) for i in range(n_groups)]`; for "
        "`slice(hi)`: `[hi / 10] * (n_groups - 1) + [hi]`; for a float: `[lr] * n_groups`.",
    ),
    reference=_fastai_group_lrs,
    cases=_group_lrs_cases,
    mistakes=(
        Mistake(
            "Your rates in between are spaced evenly on a linear scale (as `np.linspace` spaces them), so "
            "almost every group gets nearly the top rate. fastai spaces them evenly on a log scale: each "
            "group's rate is the one before times the same factor.",
            """import numpy as np
def group_lrs(lr, n_groups):
    if not isinstance(lr, slice):
        return [lr] * n_groups
    if lr.start is None:
        return [lr.stop / 10] * (n_groups - 1) + [lr.stop]
    return list(np.linspace(lr.start, lr.stop, n_groups))
""",
        ),
        Mistake(
            "With `slice(hi)` only the last group, the head, gets `hi`: every other group gets `hi / 10`.",
            """import numpy as np
def group_lrs(lr, n_groups):
    if not isinstance(lr, slice):
        return [lr] * n_groups
    if lr.start is None:
        return [lr.stop] * n_groups
    if n_groups == 1:
        return [lr.stop]
    return list(np.geomspace(lr.start, lr.stop, n_groups))
""",
        ),
        Mistake(
            "Your rates run the wrong way. The first group holds the earliest layers and gets the smallest "
            "rate; the head is the last group and gets the largest.",
            """import numpy as np
def group_lrs(lr, n_groups):
    if not isinstance(lr, slice):
        return [lr] * n_groups
    if lr.start is None:
        return [lr.stop] + [lr.stop / 10] * (n_groups - 1)
    if n_groups == 1:
        return [lr.stop]
    return list(np.geomspace(lr.stop, lr.start, n_groups))
""",
        ),
        Mistake(
            "With a single parameter group there is nothing to spread, and fastai gives that group the top "
            "of the slice, `hi` (`np.geomspace(lo, hi, 1)` gives `lo`).",
            """import numpy as np
def group_lrs(lr, n_groups):
    if not isinstance(lr, slice):
        return [lr] * n_groups
    if lr.start is None:
        return [lr.stop / 10] * (n_groups - 1) + [lr.stop]
    return list(np.geomspace(lr.start, lr.stop, n_groups))
""",
        ),
    ),
)


# --- 05.freeze_to -------------------------------------------------------------------------------------------


def _fastai_trainable_groups(n_groups: int, k: int) -> list[bool]:
    opt = _fastai_optimizer(n_groups)
    with warnings.catch_warnings():  # freezing every group makes fastai warn; that is a case here
        warnings.simplefilter("ignore")
        opt.freeze_to(k)
    return [bool(group[0].requires_grad) for group in opt.param_lists]


def _compare_flags(expected, received, rtol: float, atol: float) -> str:
    """One True/False per group: lists, tuples, arrays and tensors of booleans (or 0/1) are all fine."""
    try:
        got = [bool(v) for v in (received.tolist() if hasattr(received, "tolist") else received)]
    except TypeError:
        return f"  expected a list of True/False like {expected}\n  received {show(received)}\n"
    if got == list(expected):
        return ""
    return f"  expected: {list(expected)}\n  received: {got}\n"


def _trainable_cases() -> list[Case]:
    rng = np.random.default_rng(6)
    cases = [
        Case("freeze() with 3 groups: freeze_to(-1)", (3, -1)),
        Case("unfreeze() with 3 groups: freeze_to(0)", (3, 0)),
        Case("freeze_to(1) with 3 groups", (3, 1)),
        Case("freeze_to(-2) with 3 groups", (3, -2)),
        Case("freeze_to(2) with 5 groups", (5, 2)),
        Case("freeze_to(-4) with 5 groups", (5, -4)),
        Case("freeze_to(4) with 4 groups: every group frozen", (4, 4)),
    ]
    for _ in range(2):
        n = int(rng.integers(2, 9))
        k = int(rng.integers(-n + 1, n))
        cases.append(Case(f"freeze_to({k}) with {n} groups", (n, k)))
    return cases


FREEZE_TO = Exercise(
    id="05.freeze_to",
    title="Which parameter groups train after freeze_to",
    function="trainable_groups",
    prompt=(
        "A learner's parameters are split into `n_groups` parameter groups, the earliest layers of the body "
        "first and the head last. `learn.freeze_to(k)` freezes some of the groups (their weights get no "
        "gradients, so no updates) and makes the others trainable; `learn.freeze()` is `freeze_to(-1)` and "
        "`learn.unfreeze()` is `freeze_to(0)`. Write `trainable_groups(n_groups, k)`: return a list of "
        "`n_groups` booleans, `True` for each group that trains after `freeze_to(k)`, the first group first. "
        "`k` is an int from `-n_groups` to `n_groups`; a negative `k` counts from the end, as a Python index "
        "does. The check builds a fastai `Optimizer` with `n_groups` groups of plain weights, calls its "
        "`freeze_to(k)` and reads each group's `requires_grad`. (In a real learner the batch-norm layers of "
        "the frozen groups still train, because the learner asks for it; these groups have none.)"
    ),
    starter='''def trainable_groups(n_groups, k):
    """Returns a list of n_groups booleans: True for each group that trains after freeze_to(k)."""
    raise NotImplementedError
''',
    solution='''def trainable_groups(n_groups, k):
    """Returns a list of n_groups booleans: True for each group that trains after freeze_to(k)."""
    # freeze_to(k) freezes groups[:k] and trains groups[k:]; a negative k counts from the end,
    # so turn it into the position of the first group that trains
    start = k if k >= 0 else n_groups + k
    return [i >= start for i in range(n_groups)]
''',
    hints=(
        "`freeze_to(k)` freezes the groups *before* position `k` and trains the rest: think of the slices "
        "`groups[:k]` and `groups[k:]`.",
        "A negative `k` counts from the end, as in a slice: with 3 groups, `freeze_to(-1)` freezes "
        "`groups[:-1]`, the first two, so only the head trains. That is `freeze()`.",
        "Turn `k` into the position of the first trainable group, `start = k if k >= 0 else n_groups + k`; "
        "group `i` trains when `i >= start`.",
    ),
    reference=_fastai_trainable_groups,
    cases=_trainable_cases,
    compare=_compare_flags,
    mistakes=(
        Mistake(
            "You froze groups at the end. `freeze_to` freezes from the start: the earliest layers are frozen "
            "first, and the head, the last group, is the last to be frozen (`freeze()` leaves only the head "
            "trainable).",
            """def trainable_groups(n_groups, k):
    start = k if k >= 0 else n_groups + k
    return [i < n_groups - start for i in range(n_groups)]
""",
        ),
        Mistake(
            "You froze group `k` too. `freeze_to(k)` freezes the groups before position `k`, like "
            "`groups[:k]`, and group `k` itself trains: that is why `freeze_to(0)` freezes nothing.",
            """def trainable_groups(n_groups, k):
    start = k if k >= 0 else n_groups + k
    return [i > start for i in range(n_groups)]
""",
        ),
        Mistake(
            "A negative `k` counts from the end, as in `groups[:k]`: `freeze_to(-1)` freezes every group but "
            "the last, not one group.",
            """def trainable_groups(n_groups, k):
    return [i >= abs(k) for i in range(n_groups)]
""",
        ),
    ),
)


# --- 05.fine_tune -------------------------------------------------------------------------------------------


def _fastai_fine_tune_lrs(n_groups: int, base_lr: float = 2e-3) -> np.ndarray:
    """fastai's own `Learner.fine_tune`, run on a stand-in learner whose `fit` records the schedules."""
    import fastai.callback.schedule  # noqa: F401 - adds fine_tune and fit_one_cycle to Learner
    from fastai.learner import Learner

    class Recording:
        fine_tune, fit_one_cycle = Learner.fine_tune, Learner.fit_one_cycle
        freeze, unfreeze, freeze_to = Learner.freeze, Learner.unfreeze, Learner.freeze_to
        moms = (0.95, 0.85, 0.95)

        def __init__(self):
            self.opt, self.rows = _fastai_optimizer(n_groups), []

        def fit(self, n_epoch, cbs=None, **kwargs):
            lr = cbs[0].scheds["lr"]  # the ParamScheduler fit_one_cycle made
            self.rows += [list(np.atleast_1d(lr(0.0))), [h["lr"] for h in self.opt.hypers]]

    learner = Recording()
    learner.fine_tune(1, base_lr)
    return np.array(learner.rows, dtype=float)


def _fine_tune_cases() -> list[Case]:
    rng = np.random.default_rng(7)
    cases = [
        Case("3 groups, the default base_lr", (3,)),
        Case("3 groups, base_lr=1e-2", (3, 1e-2)),
        Case("2 groups, base_lr=1e-3", (2,), {"base_lr": 1e-3}),
        Case("5 groups, base_lr=5e-3", (5, 5e-3)),
        Case("a single group", (1, 2e-3)),
    ]
    for _ in range(2):
        n = int(rng.integers(2, 7))
        cases.append(Case(f"{n} groups, a random base_lr", (n, float(10 ** rng.uniform(-4, -2)))))
    return cases


FINE_TUNE = Exercise(
    id="05.fine_tune",
    title="The learning rates of fine_tune",
    function="fine_tune_lrs",
    prompt=(
        "`learn.fine_tune(epochs, base_lr=2e-3)` trains in two stages, each one `fit_one_cycle`: first with "
        "the body frozen, then with everything unfrozen. Its other defaults are `freeze_epochs=1`, "
        "`lr_mult=100`, `pct_start=0.3` and `div=5.0`; `fit_one_cycle`'s own default is `div=25.0`. In one "
        "cycle each group's rate starts at its peak divided by `div`, climbs to the peak, then falls. What "
        "`fine_tune` passes to `fit_one_cycle` in each stage is for you to work out (the lesson lists the "
        "steps).\n\n"
        "Write `fine_tune_lrs(n_groups, base_lr=2e-3)` for a learner with `n_groups` parameter groups (the "
        "earliest layers first, the head last). Return four rows of `n_groups` floats each, as a list of "
        "lists or a 4 × n_groups array:\n\n"
        "1. the rate each group starts the first, frozen stage at;\n"
        "2. each group's peak rate in that stage;\n"
        "3. the rate each group starts the second, unfrozen stage at;\n"
        "4. each group's peak rate in that stage.\n\n"
        "List every group in the first stage too, frozen or not (fastai sets a rate for each group; in a "
        "frozen group it reaches only the batch-norm layers, which keep training). The check runs fastai's "
        "own `Learner.fine_tune` on a stand-in learner that records the two schedules instead of training: "
        "rows 2 and 4 are the rates `fit_one_cycle` gave the groups, rows 1 and 3 the schedules' first "
        "values."
    ),
    starter='''def fine_tune_lrs(n_groups, base_lr=2e-3):
    """Returns 4 rows of n_groups rates: stage 1 start, stage 1 peak, stage 2 start, stage 2 peak."""
    raise NotImplementedError
''',
    solution='''def fine_tune_lrs(n_groups, base_lr=2e-3):
    """Returns 4 rows of n_groups rates: stage 1 start, stage 1 peak, stage 2 start, stage 2 peak."""
    # stage 1: freeze(), then fit_one_cycle(freeze_epochs, slice(base_lr), pct_start=0.99)
    # slice(hi) gives the head hi and every other group hi / 10
    peak1 = [base_lr / 10] * (n_groups - 1) + [base_lr]
    start1 = [p / 25 for p in peak1]  # fit_one_cycle's default div=25
    # stage 2: base_lr is halved, then unfreeze() and
    # fit_one_cycle(epochs, slice(base_lr / lr_mult, base_lr), pct_start=0.3, div=5.0)
    hi = base_lr / 2
    lo = hi / 100  # lr_mult=100
    if n_groups == 1:
        peak2 = [hi]  # a single group gets the top of the slice
    else:  # spaced evenly on a log scale from lo to hi
        peak2 = [lo * (hi / lo) ** (i / (n_groups - 1)) for i in range(n_groups)]
    start2 = [p / 5 for p in peak2]  # fine_tune's div=5.0
    return [start1, peak1, start2, peak2]
''',
    hints=(
        "Stage 1 is `freeze()`, then `fit_one_cycle(freeze_epochs, slice(base_lr), pct_start=0.99)`. Then "
        "`base_lr` is halved, and stage 2 is `unfreeze()`, then `fit_one_cycle(epochs, slice(base_lr / "
        "lr_mult, base_lr), pct_start=pct_start, div=div)`. Turn each slice into one rate per group with "
        "the rule of exercise 05.group_lrs.",
        "`slice(hi)` gives `hi / 10` to every group but the last; `slice(lo, hi)` spreads the rates from "
        "`lo` to `hi` with a constant ratio (a single group gets `hi`). Each group starts at its peak / div: "
        "25 in stage 1, where `fine_tune` leaves `div` at `fit_one_cycle`'s default, and 5 in stage 2.",
        "`peak1 = [base_lr / 10] * (n_groups - 1) + [base_lr]`; with `hi = base_lr / 2` and "
        "`lo = hi / 100`, `peak2 = [lo * (hi / lo) ** (i / (n_groups - 1)) for i in range(n_groups)]` "
        "(just `[hi]` for one group); return `[[p / 25 for p in peak1], peak1, [p / 5 for p in peak2], "
        "peak2]`.",
    ),
    reference=_fastai_fine_tune_lrs,
    cases=_fine_tune_cases,
    mistakes=(
        Mistake(
            "Your second stage's rates are twice too big: `fine_tune` halves `base_lr` before it unfreezes "
            "the body, so the head's peak in stage 2 is `base_lr / 2`.",
            """import numpy as np
def fine_tune_lrs(n_groups, base_lr=2e-3):
    peak1 = [base_lr / 10] * (n_groups - 1) + [base_lr]
    peak2 = list(np.geomspace(base_lr / 100, base_lr, n_groups)) if n_groups > 1 else [base_lr]
    return [[p / 25 for p in peak1], peak1, [p / 5 for p in peak2], peak2]
""",
        ),
        Mistake(
            "Your second stage starts too low: `fine_tune` passes `div=5.0`, so each group starts at a "
            "fifth of its peak, not at a twenty-fifth (`fit_one_cycle`'s default, which only the first stage "
            "uses).",
            """import numpy as np
def fine_tune_lrs(n_groups, base_lr=2e-3):
    peak1 = [base_lr / 10] * (n_groups - 1) + [base_lr]
    hi = base_lr / 2
    peak2 = list(np.geomspace(hi / 100, hi, n_groups)) if n_groups > 1 else [hi]
    return [[p / 25 for p in peak1], peak1, [p / 25 for p in peak2], peak2]
""",
        ),
        Mistake(
            "In the frozen stage `fine_tune` passes `slice(base_lr)`, not the float `base_lr`: the head gets "
            "`base_lr` and every other group `base_lr / 10`.",
            """import numpy as np
def fine_tune_lrs(n_groups, base_lr=2e-3):
    peak1 = [base_lr] * n_groups
    hi = base_lr / 2
    peak2 = list(np.geomspace(hi / 100, hi, n_groups)) if n_groups > 1 else [hi]
    return [[p / 25 for p in peak1], peak1, [p / 5 for p in peak2], peak2]
""",
        ),
        Mistake(
            "The earliest group's peak in stage 2 is a hundredth of the head's: `lr_mult` is 100, so the "
            "slice is `slice(base_lr / 100, base_lr)` after halving.",
            """import numpy as np
def fine_tune_lrs(n_groups, base_lr=2e-3):
    peak1 = [base_lr / 10] * (n_groups - 1) + [base_lr]
    hi = base_lr / 2
    peak2 = list(np.geomspace(hi / 10, hi, n_groups)) if n_groups > 1 else [hi]
    return [[p / 25 for p in peak1], peak1, [p / 5 for p in peak2], peak2]
""",
        ),
    ),
)

EXERCISES = [GROUP_LRS, FREEZE_TO, FINE_TUNE]
