"""The comparisons the lessons show, as functions: each trains real models and returns final metrics.

`python -m dlcourse.experiments --seeds 0 1 2` prints every effect over several seeds (the figures
quoted in the docs come from this command).
"""

from __future__ import annotations

import argparse
import time
from contextlib import contextmanager

import pandas as pd

from dlcourse import train
from dlcourse.data import pets_dataloaders, pets_path
from dlcourse.mode import Mode, detect_mode

# Budgets and learning rates. BOOK_LR is the rate fastai's book shows failing on Pets with ResNet-34;
# on the small offline model it is merely worse than the finder's pick, so TOO_HIGH_LR (10x) is shown too.
SHORT = 2  # epochs: 1 frozen + 1 unfrozen for fine_tune
LONG = 5  # epochs from scratch for the schedule comparison
BOOK_LR, TOO_HIGH_LR = 0.1, 1.0
SCRATCH_LR = 1e-2


@contextmanager
def quiet(learn):
    """No progress bars or tables while experimenting (the lessons keep fastai's)."""
    with learn.no_bar(), learn.no_logging():
        yield learn


def _learner(mode: Mode, seed: int, pretrained: bool = True):
    from fastai.torch_core import set_seed

    set_seed(seed, reproducible=True)
    dls = pets_dataloaders(pets_path(mode), mode, seed=seed)
    return train.make_learner(dls, mode, pretrained=pretrained)


def _final(df: pd.DataFrame) -> float:
    return float(df["error_rate"].iloc[-1])


def pretrained_vs_scratch(mode: Mode, seed: int) -> dict:
    """Same two epochs: fine-tuning the pretrained model vs one-cycle training from random weights."""
    with quiet(_learner(mode, seed)) as learn:
        pre = train.fine_tune(learn, SHORT - 1, freeze_epochs=1)
    with quiet(_learner(mode, seed, pretrained=False)) as learn:
        scratch = train.fit_one_cycle(learn, SHORT, SCRATCH_LR)
    return {"pretrained": _final(pre), "scratch": _final(scratch)}


def lr_too_high_vs_finder(mode: Mode, seed: int) -> dict:
    """fine_tune at the book's 0.1, at 1.0, and at the LR finder's valley suggestion."""
    results = {}
    for name, lr in [("lr 0.1", BOOK_LR), ("too high", TOO_HIGH_LR)]:
        with quiet(_learner(mode, seed)) as learn:
            results[name] = _final(train.fine_tune(learn, SHORT - 1, base_lr=lr))
    with quiet(_learner(mode, seed)) as learn:
        suggested = float(learn.lr_find(show_plot=False).valley)
        results["lr finder"] = _final(train.fine_tune(learn, SHORT - 1, base_lr=suggested))
    return {**results, "suggested lr": suggested}


def one_cycle_vs_constant(mode: Mode, seed: int) -> dict:
    """From random weights, same epochs and peak LR: fit_one_cycle vs fit at a constant LR."""
    with quiet(_learner(mode, seed, pretrained=False)) as learn:
        cycle = train.fit_one_cycle(learn, LONG, SCRATCH_LR)
    with quiet(_learner(mode, seed, pretrained=False)) as learn:
        constant = train.fit_constant(learn, LONG, SCRATCH_LR)
    return {"one-cycle": _final(cycle), "constant": _final(constant)}


def unfreeze_high_vs_discriminative(mode: Mode, seed: int) -> dict:
    """After training the head: all layers at one high LR vs discriminative slice(1e-5, 1e-3)."""
    results = {}
    for name, lr in [("one lr 1e-2", 1e-2), ("slice(1e-5, 1e-3)", slice(1e-5, 1e-3))]:
        with quiet(_learner(mode, seed)) as learn:
            results[name] = _final(train.train_head_then_unfreeze(learn, 1, 1e-2, SHORT, lr))
    return results


EFFECTS = {
    "pretrained vs scratch": pretrained_vs_scratch,
    "LR 0.1 vs LR finder": lr_too_high_vs_finder,
    "one-cycle vs constant LR": one_cycle_vs_constant,
    "unfreeze: one high LR vs slice": unfreeze_high_vs_discriminative,
}


def measure(seeds: list[int], mode: Mode | None = None) -> pd.DataFrame:
    mode = mode or detect_mode()
    rows = []
    for effect, fn in EFFECTS.items():
        for seed in seeds:
            start = time.perf_counter()
            result = fn(mode, seed)
            rows.append({"effect": effect, "seed": seed, **result, "seconds": time.perf_counter() - start})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Measure the lessons' effects (final validation error rate)."
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    mode = detect_mode()
    print(mode.describe())
    table = measure(args.seeds, mode)
    with pd.option_context(
        "display.width", 160, "display.max_columns", 20, "display.float_format", "{:.4f}".format
    ):
        for effect, part in table.groupby("effect", sort=False):
            print(f"\n{effect}")
            print(part.drop(columns="effect").dropna(axis=1, how="all").to_string(index=False))


if __name__ == "__main__":
    main()
