"""Lesson 4's exercises: half a cosine, one-cycle's learning rate, one-cycle's momentum. References: fastai's
`SchedCos` and `combined_cos`, as `fit_one_cycle` builds them."""

from __future__ import annotations

import numpy as np

from dlcourse.exercises.core import Case, Exercise, Mistake

# --- half a cosine --------------------------------------------------------------------------------


def _fastai_cos(start: float, end: float, pos: float) -> float:
    from fastai.callback.schedule import SchedCos  # imported here: fastai takes a while to load

    return SchedCos(start, end)(pos)


def _cos_cases() -> list[Case]:
    rng = np.random.default_rng(4)
    return [
        Case("pos = 0: the start", (1e-3, 1e-2, 0.0)),
        Case("pos = 1: the end", (1e-3, 1e-2, 1.0)),
        Case("pos = 0.25, from 0 up to 1", (0.0, 1.0, 0.25)),
        Case("pos = 0.5: exactly halfway", (0.0, 1.0, 0.5)),
        Case("annealing down from 1e-2 to 1e-7, pos = 0.3", (1e-2, 1e-7, 0.3)),
        Case("momentum from 0.95 down to 0.85, pos = 0.8", (0.95, 0.85, 0.8)),
        *(
            Case(f"random: from {a:.3g} to {b:.3g}, pos = {p:.3g}", (float(a), float(b), float(p)))
            for a, b, p in zip(rng.uniform(-2, 2, 2), rng.uniform(-2, 2, 2), rng.random(2), strict=True)
        ),
    ]


COS_ANNEAL = Exercise(
    id="04.cos_anneal",
    title="Half a cosine",
    function="cos_anneal",
    prompt=(
        "Write `cos_anneal(start, end, pos)`: the value of a schedule that goes from `start` to `end` along "
        "half a cosine, the curve both phases of one-cycle follow. `start` and `end` are floats (either can "
        "be the larger) and `pos` is a float from 0 to 1, how far along the phase you are. The result is "
        "`start` at pos = 0 and `end` at pos = 1; it leaves `start` slowly, moves fastest in the middle, is "
        "exactly halfway between them at pos = 0.5, and arrives slowly at `end`: the shape of a cosine from "
        "its peak to its trough (or the reverse). Return a float. The check compares your result with "
        "fastai's `SchedCos(start, end)(pos)` from `fastai.callback.schedule`."
    ),
    starter='''def cos_anneal(start, end, pos):
    """From start (pos = 0) to end (pos = 1) along half a cosine. Returns a float."""
    raise NotImplementedError
''',
    solution='''import math


def cos_anneal(start, end, pos):
    """From start (pos = 0) to end (pos = 1) along half a cosine. Returns a float."""
    # cos(pi * pos) runs from 1 (pos = 0) down to -1 (pos = 1), flat at both ends;
    # (1 - cos(pi * pos)) / 2 therefore runs from 0 to 1: the share of the way from start to end
    share = (1 - math.cos(math.pi * pos)) / 2
    return start + share * (end - start)
''',
    hints=(
        "`math.cos(math.pi * pos)` goes from 1 at pos = 0 to −1 at pos = 1, flat at both ends and steepest "
        "at pos = 0.5. Turn it into a share that goes from 0 to 1.",
        "The share is `(1 - math.cos(math.pi * pos)) / 2`: 0 at the start, 0.5 halfway, 1 at the end.",
        "Return `start + share * (end - start)`. It works whichever way the schedule goes: if `end < start` "
        "the difference is negative and the value falls.",
    ),
    reference=_fastai_cos,
    cases=_cos_cases,
    atol=1e-12,
    mistakes=(
        Mistake(
            "You went in a straight line. The value should follow half a cosine: slow near both ends, "
            "fastest in the middle (it agrees with a straight line only at 0, 0.5 and 1).",
            """def cos_anneal(start, end, pos):
    return start + pos * (end - start)
""",
        ),
        Mistake(
            "Your schedule runs backwards: it gives `end` at pos = 0 and `start` at pos = 1. `cos(pi * pos)` "
            "is 1 at pos = 0, so the share of the way must be `(1 - cos(pi * pos)) / 2`, not "
            "`(1 + ...) / 2`.",
            """import math
def cos_anneal(start, end, pos):
    return start + (1 + math.cos(math.pi * pos)) / 2 * (end - start)
""",
        ),
        Mistake(
            "Your value overshoots: at pos = 1 it is twice as far from `start` as `end` is. `1 - cos` goes "
            "from 0 to 2, so halve it to get a share from 0 to 1.",
            """import math
def cos_anneal(start, end, pos):
    return start + (1 - math.cos(math.pi * pos)) * (end - start)
""",
        ),
    ),
)


# --- one-cycle's learning rate ----------------------------------------------------------------------


def _fastai_one_cycle_lr(
    i: int, n: int, lr_max: float, div: float = 25.0, div_final: float = 1e5, pct_start: float = 0.25
) -> float:
    from fastai.callback.schedule import combined_cos

    # the schedule fit_one_cycle hands to ParamScheduler, read at step i's position in training
    return combined_cos(pct_start, lr_max / div, lr_max, lr_max / div_final)(i / n)


def _lr_cases() -> list[Case]:
    rng = np.random.default_rng(5)
    i = int(rng.integers(0, 500))
    return [
        Case("step 0 of 100: the start", (0, 100, 1e-2)),
        Case("step 10 of 100: warming up", (10, 100, 1e-2)),
        Case("step 25 of 100: the peak", (25, 100, 1e-2)),
        Case("step 60 of 100: annealing", (60, 100, 1e-2)),
        Case("step 99 of 100: the last step", (99, 100, 1e-2)),
        Case("step 5 of 20, lr_max = 3e-3", (5, 20, 3e-3)),
        Case(
            "fine_tune's unfrozen epochs: div = 5, pct_start = 0.3, step 40 of 120",
            (40, 120, 1e-3),
            {"div": 5.0, "pct_start": 0.3},
        ),
        Case(
            "fine_tune's frozen epoch: pct_start = 0.99, step 50 of 90", (50, 90, 2e-3), {"pct_start": 0.99}
        ),
        Case(f"random: step {i} of 500, lr_max = 3e-3", (i, 500, 3e-3)),
    ]


ONE_CYCLE_LR = Exercise(
    id="04.one_cycle_lr",
    title="One-cycle's learning rate",
    function="one_cycle_lr",
    prompt=(
        "Write `one_cycle_lr(i, n, lr_max, div=25.0, div_final=1e5, pct_start=0.25)`: the learning rate "
        "`fit_one_cycle` uses at training step `i` (counted from 0) of `n` steps. The position of step i in "
        "training is `pos = i / n`. While `pos < pct_start` the rate warms up along half a cosine from "
        "`lr_max / div` to `lr_max`, the warm-up's own position running from 0 to 1 over that stretch; from "
        "`pos = pct_start` on it anneals along half a cosine from `lr_max` down to `lr_max / div_final` "
        "(which it would reach at pos = 1). Half a cosine from a to b at position t is "
        "`a + (1 - cos(pi * t)) / 2 * (b - a)` (the exercise before). The defaults are `fit_one_cycle`'s: "
        "div = 25, div_final = 100,000, pct_start = 0.25. Return a float. The check compares your result "
        "with fastai's `combined_cos(pct_start, lr_max / div, lr_max, lr_max / div_final)` read at `i / n`, "
        "the schedule `fit_one_cycle` builds."
    ),
    starter='''def one_cycle_lr(i, n, lr_max, div=25.0, div_final=1e5, pct_start=0.25):
    """The learning rate of fit_one_cycle at step i (0 to n - 1) of n. Returns a float."""
    raise NotImplementedError
''',
    solution='''import math


def one_cycle_lr(i, n, lr_max, div=25.0, div_final=1e5, pct_start=0.25):
    """The learning rate of fit_one_cycle at step i (0 to n - 1) of n. Returns a float."""

    def cos_anneal(start, end, t):  # half a cosine from start (t = 0) to end (t = 1)
        return start + (1 - math.cos(math.pi * t)) / 2 * (end - start)

    pos = i / n  # how far through training step i is: 0 at the first step, below 1 at the last
    if pos < pct_start:  # warm-up: its own position runs from 0 to 1 over the first pct_start
        return cos_anneal(lr_max / div, lr_max, pos / pct_start)
    # annealing: its own position runs from 0 at pct_start to 1 at the end of training
    return cos_anneal(lr_max, lr_max / div_final, (pos - pct_start) / (1 - pct_start))
''',
    hints=(
        "First the position `pos = i / n`, then decide the phase: warm-up while `pos < pct_start`, annealing "
        "after. Each phase is half a cosine with its own start, end and its own position from 0 to 1.",
        "In the warm-up the phase's position is `pos / pct_start`; in the annealing it is "
        "`(pos - pct_start) / (1 - pct_start)`. The warm-up starts at `lr_max / div`, the annealing ends at "
        "`lr_max / div_final`.",
        "With `cos_anneal(a, b, t) = a + (1 - math.cos(math.pi * t)) / 2 * (b - a)`: return "
        "`cos_anneal(lr_max / div, lr_max, pos / pct_start)` in the warm-up and "
        "`cos_anneal(lr_max, lr_max / div_final, (pos - pct_start) / (1 - pct_start))` after it.",
    ),
    reference=_fastai_one_cycle_lr,
    cases=_lr_cases,
    atol=0,  # learning rates go down to 1e-7: only the relative tolerance counts
    mistakes=(
        Mistake(
            "You put step i at position `i / (n - 1)`. fastai reads the schedule at `i / n`, the share of "
            "training done before step i, so the last step comes just before the end of the schedule.",
            """import math
def one_cycle_lr(i, n, lr_max, div=25.0, div_final=1e5, pct_start=0.25):
    cos = lambda a, b, t: a + (1 - math.cos(math.pi * t)) / 2 * (b - a)
    pos = i / (n - 1)
    if pos < pct_start:
        return cos(lr_max / div, lr_max, pos / pct_start)
    return cos(lr_max, lr_max / div_final, (pos - pct_start) / (1 - pct_start))
""",
        ),
        Mistake(
            "Your warm-up is a straight line. In fastai both phases follow half a cosine: the warm-up too "
            "goes from `lr_max / div` to `lr_max` as `a + (1 - cos(pi * t)) / 2 * (b - a)`.",
            """import math
def one_cycle_lr(i, n, lr_max, div=25.0, div_final=1e5, pct_start=0.25):
    pos = i / n
    if pos < pct_start:
        return lr_max / div + pos / pct_start * (lr_max - lr_max / div)
    t = (pos - pct_start) / (1 - pct_start)
    return lr_max + (1 - math.cos(math.pi * t)) / 2 * (lr_max / div_final - lr_max)
""",
        ),
        Mistake(
            "Your annealing heads for 0. It ends at `lr_max / div_final` (div_final = 100,000 by default): "
            "tiny, but not 0, and you see the difference near the end of training.",
            """import math
def one_cycle_lr(i, n, lr_max, div=25.0, div_final=1e5, pct_start=0.25):
    cos = lambda a, b, t: a + (1 - math.cos(math.pi * t)) / 2 * (b - a)
    pos = i / n
    if pos < pct_start:
        return cos(lr_max / div, lr_max, pos / pct_start)
    return cos(lr_max, 0.0, (pos - pct_start) / (1 - pct_start))
""",
        ),
        Mistake(
            "Your annealing goes back down to where the warm-up started, `lr_max / div`. One-cycle anneals "
            "much further, to `lr_max / div_final`.",
            """import math
def one_cycle_lr(i, n, lr_max, div=25.0, div_final=1e5, pct_start=0.25):
    cos = lambda a, b, t: a + (1 - math.cos(math.pi * t)) / 2 * (b - a)
    pos = i / n
    if pos < pct_start:
        return cos(lr_max / div, lr_max, pos / pct_start)
    return cos(lr_max, lr_max / div, (pos - pct_start) / (1 - pct_start))
""",
        ),
    ),
)


# --- one-cycle's momentum -------------------------------------------------------------------------


def _fastai_one_cycle_mom(
    i: int, n: int, moms: tuple[float, float, float] = (0.95, 0.85, 0.95), pct_start: float = 0.25
) -> float:
    from fastai.callback.schedule import combined_cos

    return combined_cos(pct_start, *moms)(i / n)  # as fit_one_cycle builds it, read at step i


def _mom_cases() -> list[Case]:
    rng = np.random.default_rng(6)
    i = int(rng.integers(0, 400))
    return [
        Case("step 0 of 100: the start", (0, 100)),
        Case("step 10 of 100: while the learning rate warms up", (10, 100)),
        Case("step 25 of 100: at the learning rate's peak", (25, 100)),
        Case("step 70 of 100: while the learning rate anneals", (70, 100)),
        Case("step 99 of 100: the last step", (99, 100)),
        Case("fine_tune's unfrozen epochs: pct_start = 0.3, step 20 of 90", (20, 90), {"pct_start": 0.3}),
        Case(
            "moms = (0.99, 0.9, 0.95): the end differs from the start, step 80 of 100",
            (80, 100),
            {"moms": (0.99, 0.9, 0.95)},
        ),
        Case(f"random: step {i} of 400", (i, 400)),
    ]


ONE_CYCLE_MOM = Exercise(
    id="04.one_cycle_mom",
    title="One-cycle's momentum",
    function="one_cycle_mom",
    prompt=(
        "Write `one_cycle_mom(i, n, moms=(0.95, 0.85, 0.95), pct_start=0.25)`: the momentum (Adam's β1) "
        "`fit_one_cycle` uses at training step `i` (counted from 0) of `n` steps. It moves opposite to the "
        "learning rate, along the same two half cosines: with `pos = i / n`, while `pos < pct_start` it goes "
        "from `moms[0]` down to `moms[1]`, then from `moms[1]` back up to `moms[2]` (which it would reach "
        "at pos = 1), each phase's own position running from 0 to 1, exactly as in the learning-rate "
        "exercise. Half a cosine from a to b at position t is `a + (1 - cos(pi * t)) / 2 * (b - a)`. The "
        "defaults are fastai's: moms = (0.95, 0.85, 0.95), pct_start = 0.25. Return a float. The check "
        "compares your result with fastai's `combined_cos(pct_start, *moms)` read at `i / n`, the schedule "
        "`fit_one_cycle` builds for the momentum."
    ),
    starter='''def one_cycle_mom(i, n, moms=(0.95, 0.85, 0.95), pct_start=0.25):
    """The momentum of fit_one_cycle at step i (0 to n - 1) of n. Returns a float."""
    raise NotImplementedError
''',
    solution='''import math


def one_cycle_mom(i, n, moms=(0.95, 0.85, 0.95), pct_start=0.25):
    """The momentum of fit_one_cycle at step i (0 to n - 1) of n. Returns a float."""

    def cos_anneal(start, end, t):  # half a cosine from start (t = 0) to end (t = 1)
        return start + (1 - math.cos(math.pi * t)) / 2 * (end - start)

    high, low, final = moms  # 0.95, 0.85, 0.95 by default
    pos = i / n
    if pos < pct_start:  # while the learning rate rises, momentum falls
        return cos_anneal(high, low, pos / pct_start)
    # while the learning rate anneals, momentum climbs back, to moms[2]
    return cos_anneal(low, final, (pos - pct_start) / (1 - pct_start))
''',
    hints=(
        "It is the learning-rate schedule with other values: the same `pos = i / n`, the same switch at "
        "`pct_start`, the same half cosines. Only the start, middle and end change.",
        "Momentum falls while the learning rate rises: the first phase goes from `moms[0]` (0.95) to "
        "`moms[1]` (0.85), the second from `moms[1]` to `moms[2]`.",
        "Return `cos_anneal(moms[0], moms[1], pos / pct_start)` while `pos < pct_start`, else "
        "`cos_anneal(moms[1], moms[2], (pos - pct_start) / (1 - pct_start))`.",
    ),
    reference=_fastai_one_cycle_mom,
    cases=_mom_cases,
    mistakes=(
        Mistake(
            "Your momentum moves *with* the learning rate: it should be high (0.95) when the learning rate "
            "is low and lowest (0.85) at the learning rate's peak. Go from `moms[0]` down to `moms[1]`, then "
            "up to `moms[2]`.",
            """import math
def one_cycle_mom(i, n, moms=(0.95, 0.85, 0.95), pct_start=0.25):
    cos = lambda a, b, t: a + (1 - math.cos(math.pi * t)) / 2 * (b - a)
    pos = i / n
    if pos < pct_start:
        return cos(moms[1], moms[0], pos / pct_start)
    return cos(moms[0], moms[1], (pos - pct_start) / (1 - pct_start))
""",
        ),
        Mistake(
            "Your momentum changes in straight lines. fastai moves it along the same half cosines as the "
            "learning rate: `a + (1 - cos(pi * t)) / 2 * (b - a)`.",
            """def one_cycle_mom(i, n, moms=(0.95, 0.85, 0.95), pct_start=0.25):
    pos = i / n
    if pos < pct_start:
        return moms[0] + pos / pct_start * (moms[1] - moms[0])
    return moms[1] + (pos - pct_start) / (1 - pct_start) * (moms[2] - moms[1])
""",
        ),
        Mistake(
            "You put step i at position `i / (n - 1)`. fastai reads the schedule at `i / n`, the share of "
            "training done before step i.",
            """import math
def one_cycle_mom(i, n, moms=(0.95, 0.85, 0.95), pct_start=0.25):
    cos = lambda a, b, t: a + (1 - math.cos(math.pi * t)) / 2 * (b - a)
    pos = i / (n - 1)
    if pos < pct_start:
        return cos(moms[0], moms[1], pos / pct_start)
    return cos(moms[1], moms[2], (pos - pct_start) / (1 - pct_start))
""",
        ),
        Mistake(
            "Your second phase climbs back to `moms[0]`. It ends at `moms[2]`: the same value with the "
            "defaults, but not when you pass three different momentums.",
            """import math
def one_cycle_mom(i, n, moms=(0.95, 0.85, 0.95), pct_start=0.25):
    cos = lambda a, b, t: a + (1 - math.cos(math.pi * t)) / 2 * (b - a)
    pos = i / n
    if pos < pct_start:
        return cos(moms[0], moms[1], pos / pct_start)
    return cos(moms[1], moms[0], (pos - pct_start) / (1 - pct_start))
""",
        ),
    ),
)

EXERCISES = [COS_ANNEAL, ONE_CYCLE_LR, ONE_CYCLE_MOM]
