"""The comparisons the lessons make, as functions: each trains real models and returns a DataFrame.

Every effect takes a mode and a seed and returns one row per epoch and arm (`arm`, `stage`, `epoch`,
`train_loss`, `valid_loss`, `error_rate`, ...). The lessons call them for one seed and plot the result;
`python -m dlcourse.experiments --seeds 0 1 2 3 4 --record` runs them for several seeds and writes the
final error rates to `weights/offline_effects.json`, which the lessons and the Offline-mode page show
as the spread across seeds (`recorded`, `summary`).
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from dlcourse import train
from dlcourse.data import data_root, pets_config, pets_dataloaders, pets_path
from dlcourse.mode import Mode, detect_mode

RECORD = Path(__file__).resolve().parent / "weights" / "offline_effects.json"
EPOCHS = 3  # epochs after the head's (fine_tune), or EPOCHS + 1 from scratch: the same budget
SCRATCH_LR = 1e-2
TOP_LR = 1e-2  # after unfreezing: the rate of the last layer group in every arm


@contextmanager
def quiet(learn):
    """No progress bars or tables while experimenting."""
    with learn.no_bar(), learn.no_logging():
        yield learn


def vision(dls, mode: Mode, pretrained: bool = True, **kwargs):
    """The lessons' `vision_learner(dls, arch, metrics=...)` with error rate and accuracy (or `metrics`),
    each epoch kept across fits (`train.EpochLog`), mixed precision on a GPU as the lessons ask for it."""
    import torch
    from fastai.metrics import accuracy, error_rate
    from fastai.vision.learner import vision_learner

    kwargs.setdefault("metrics", [error_rate, accuracy])
    learn = vision_learner(dls, train.pick_arch(mode), pretrained=pretrained, cbs=train.EpochLog(), **kwargs)
    return learn.to_fp16() if torch.cuda.is_available() else learn


def learner(mode: Mode, seed: int, pretrained: bool = True, **data):
    """A fresh learner on the lesson data, its random choices (split, head, batches) fixed by `seed`;
    `data`: `pets_dataloaders`' options (size, batch_tfms)."""
    from fastai.torch_core import set_seed

    set_seed(seed, reproducible=True)
    dls = pets_dataloaders(pets_path(mode), mode, seed=seed, **data)
    return vision(dls, mode, pretrained=pretrained)


def trained_epochs(learn, recipe: Callable[[], object]) -> pd.DataFrame:
    """The epochs that `recipe()` (one or several fits of `learn`) trains, one row each, with its stage."""
    log = learn.epoch_log
    start = len(log.rows)
    recipe()
    return log.table().iloc[start:].reset_index(drop=True)


def _arms(runs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return pd.concat([df.assign(arm=name) for name, df in runs.items()], ignore_index=True)


def pretrained_vs_scratch(mode: Mode, seed: int = 0) -> pd.DataFrame:
    """The same number of epochs: fine-tuning the pretrained model vs one-cycle from random weights."""
    with quiet(learner(mode, seed)) as learn:
        pretrained = trained_epochs(learn, lambda: learn.fine_tune(EPOCHS))
    with quiet(learner(mode, seed, pretrained=False)) as learn:
        scratch = trained_epochs(learn, lambda: learn.fit_one_cycle(EPOCHS + 1, SCRATCH_LR))
    return _arms({"pretrained": pretrained, "from scratch": scratch})


def learning_rates(mode: Mode, seed: int = 0) -> pd.DataFrame:
    """fine_tune at the LR finder's valley, and at 10x and 100x that rate."""
    with quiet(learner(mode, seed)) as learn:
        valley = float(learn.lr_find(show_plot=False).valley)
    runs = {}
    for factor in (1, 10, 100):
        with quiet(learner(mode, seed)) as learn:
            runs["valley" if factor == 1 else f"{factor}x valley"] = trained_epochs(
                learn, lambda: learn.fine_tune(EPOCHS, base_lr=valley * factor)  # noqa: B023  called at once
            )
    return _arms(runs).assign(valley=valley)


def one_cycle_vs_constant(mode: Mode, seed: int = 0) -> pd.DataFrame:
    """From random weights, same epochs and peak rate: fit_one_cycle vs fit at a constant rate.

    Also returns each arm's per-batch training loss in `.attrs["losses"]`."""
    runs, losses = {}, {}
    for name, fit in [("one-cycle", "fit_one_cycle"), ("constant", "fit")]:
        with quiet(learner(mode, seed, pretrained=False)) as learn:
            runs[name] = trained_epochs(learn, lambda: getattr(learn, fit)(EPOCHS + 1, SCRATCH_LR))  # noqa: B023
            losses[name] = [float(x) for x in learn.recorder.losses]
    result = _arms(runs)
    result.attrs["losses"] = losses
    return result


def after_unfreezing(mode: Mode, seed: int = 0, top: float = TOP_LR) -> pd.DataFrame:
    """Train the head, then from those same weights: head only, or unfrozen at one rate for all layers,
    or at discriminative rates with the same top rate, or at a rate 10x too high."""
    with quiet(learner(mode, seed)) as learn:
        head = trained_epochs(learn, lambda: learn.fit_one_cycle(1, SCRATCH_LR))
        trained_head = copy.deepcopy(learn.model.state_dict())
    arms: dict[str, tuple[bool, float | slice]] = {
        "head only": (False, top),
        f"all layers at {top:g}": (True, top),
        f"slice({top / 100:g}, {top:g})": (True, slice(top / 100, top)),
        f"all layers at {top * 10:g}": (True, top * 10),
    }
    runs = {}
    for name, (unfreeze, lr) in arms.items():
        with quiet(learner(mode, seed)) as learn:
            learn.model.load_state_dict(trained_head)
            if unfreeze:
                learn.unfreeze()
            fitted = trained_epochs(learn, lambda: learn.fit_one_cycle(EPOCHS, lr))  # noqa: B023
            runs[name] = pd.concat([head, fitted], ignore_index=True)
    return _arms(runs)


def fine_tune_by_hand_vs_fastai(mode: Mode, seed: int = 1, epochs: int = 1) -> pd.DataFrame:
    """Lesson 5's check: fastai's `fine_tune(epochs)` and `train.fine_tune_by_hand`, each on a fresh learner
    from the same seed; their losses side by side, one row per epoch (both stages)."""
    recipes = {
        "fastai fine_tune": lambda learn: learn.fine_tune(epochs),
        "by hand": lambda learn: train.fine_tune_by_hand(learn, epochs),
    }
    runs = {}
    for name, recipe in recipes.items():
        with quiet(learner(mode, seed)) as learn:
            runs[name] = trained_epochs(learn, lambda: recipe(learn))  # noqa: B023  called at once
    return pd.concat(runs, axis=1)[[(n, c) for n in runs for c in ("train_loss", "valid_loss")]]


def augmentation_arms(mode: Mode) -> dict[str, list | None]:
    """Lesson 6's batch transforms: none, left-right flips only, and all eight flips and quarter turns
    (`flip_vert=True`, what satellite images call for)."""
    from fastai.vision.augment import aug_transforms

    size = pets_config(mode).size
    only = dict(size=size, max_rotate=0.0, max_zoom=1.0, max_lighting=0.0, max_warp=0.0, min_scale=1.0)
    return {
        "no augmentation": None,
        "left-right flips": aug_transforms(do_flip=True, **only),
        "all 8 orientations": aug_transforms(do_flip=True, flip_vert=True, **only),
    }


def augmentations(mode: Mode, seed: int = 0) -> pd.DataFrame:
    """fine_tune with the same budget under each of `augmentation_arms`."""
    runs = {}
    for name, tfms in augmentation_arms(mode).items():
        with quiet(learner(mode, seed, batch_tfms=tfms)) as learn:
            runs[name] = trained_epochs(learn, lambda: learn.fine_tune(EPOCHS))
    return _arms(runs)


def progressive_resizing(mode: Mode, seed: int = 0) -> pd.DataFrame:
    """The same epochs: fine_tune at full size ("one size"), or its first epochs on images two thirds
    as wide and the last one at full size, with a new DataLoaders and the same model ("progressive
    resizing"). `.attrs`: each arm's sizes and seconds."""
    full = pets_config(mode).size
    small = full * 2 // 3
    runs, seconds = {}, {}
    start = time.perf_counter()
    with quiet(learner(mode, seed)) as learn:
        runs["one size"] = trained_epochs(learn, lambda: learn.fine_tune(EPOCHS))
    seconds["one size"] = time.perf_counter() - start
    start = time.perf_counter()
    with quiet(learner(mode, seed, size=small)) as learn:
        first = trained_epochs(learn, lambda: learn.fine_tune(EPOCHS - 1))
        learn.dls = pets_dataloaders(pets_path(mode), mode, seed=seed)
        last = trained_epochs(learn, lambda: learn.fit_one_cycle(1, slice(1e-5, 1e-3)))
        runs["progressive resizing"] = pd.concat([first, last], ignore_index=True)
    seconds["progressive resizing"] = time.perf_counter() - start
    result = _arms(runs)
    result.attrs.update(
        seconds=seconds,
        sizes={
            "one size": f"{full} px",
            "progressive resizing": f"{small} px, then {full} px for the last epoch",
        },
    )
    return result


LM_EPOCHS = 1  # language-model fine-tuning: one epoch of the last group, one of everything
ENCODER_ARMS = ("fine-tuned LM encoder", "pretrained LM encoder", "no pretraining")


def fine_tune_language_model(learn, epochs: int = LM_EPOCHS, lr: float = 2e-2) -> pd.DataFrame:
    """Lesson 9's second ULMFiT step: `epochs` of the last layer group (the embeddings and the decoder),
    then as many of every layer at a tenth of the rate."""

    def recipe():
        learn.fit_one_cycle(epochs, lr)
        learn.unfreeze()
        learn.fit_one_cycle(epochs, lr / 10)

    return trained_epochs(learn, recipe)


def gradual_unfreezing(learn, lr: float = 2e-2, factor: float = 2.6**4) -> pd.DataFrame:
    """Lesson 9's classifier recipe (ULMFiT), one epoch per stage: the head alone; then the last two layer
    groups; the last three; then all, each time with discriminative rates (the earliest group `factor`
    times lower) and a lower top rate. Returns every epoch's metrics with its stage."""
    stages = [
        ("head only", -1, lr),
        ("last two groups", -2, lr / 2),
        ("last three groups", -3, lr / 4),
        ("all layers", None, lr / 20),
    ]

    def recipe():
        for _, freeze_to, top in stages:
            if freeze_to is None:
                learn.unfreeze()
            else:
                learn.freeze_to(freeze_to)
            learn.fit_one_cycle(1, top if freeze_to == -1 else slice(top / factor, top))

    table = trained_epochs(learn, recipe)
    table["stage"] = [name for name, _, _ in stages]
    return table


def language_model(dls, mode: Mode):
    """Lesson 9's `language_model_learner` (AWD-LSTM; offline, the bundled one), each epoch kept; what it
    saves goes under `$DLCOURSE_DATA/runs`."""
    from fastai.metrics import Perplexity, accuracy
    from fastai.text.learner import language_model_learner
    from fastai.text.models.awdlstm import AWD_LSTM

    from dlcourse import text

    cfg = text.config(mode)
    return language_model_learner(
        dls, AWD_LSTM, drop_mult=cfg.lm_drop_mult, metrics=[accuracy, Perplexity()], cbs=train.EpochLog(),
        path=data_root() / "runs", **text.lm_options(mode),
    )


def classifier(dls, mode: Mode, encoder: str | None = None):
    """Lesson 9's `text_classifier_learner`, with the encoder a language model saved, each epoch kept."""
    from fastai.metrics import accuracy, error_rate
    from fastai.text.learner import text_classifier_learner
    from fastai.text.models.awdlstm import AWD_LSTM

    from dlcourse import text

    cfg = text.config(mode)
    learn = text_classifier_learner(
        dls, AWD_LSTM, drop_mult=cfg.classifier_drop_mult, metrics=[error_rate, accuracy],
        cbs=train.EpochLog(), path=data_root() / "runs", **text.classifier_options(mode),
    )
    return learn if encoder is None else learn.load_encoder(encoder)


def text_encoders(mode: Mode, seed: int = 0) -> pd.DataFrame:
    """Lesson 9's classifier, trained the same way (`gradual_unfreezing`) from three encoders: the
    language model fine-tuned on the reviews, the pretrained language model as it is, and random weights."""
    from fastai.torch_core import set_seed

    from dlcourse import text

    df = text.read_reviews(text.reviews_path(mode))
    set_seed(seed, reproducible=True)
    lm_dls = text.lm_dataloaders(df[~df.is_valid], mode, seed=seed)  # as the lesson: training reviews only
    encoders = {}
    for name, fine_tune in (("pretrained LM encoder", False), ("fine-tuned LM encoder", True)):
        set_seed(seed, reproducible=True)
        with quiet(language_model(lm_dls, mode)) as learn:
            if fine_tune:
                fine_tune_language_model(learn)
            encoders[name] = f"experiment-{name.split()[0]}-{seed}"
            learn.save_encoder(encoders[name])
    encoders["no pretraining"] = None
    runs = {}
    for name in ENCODER_ARMS:
        set_seed(seed, reproducible=True)
        dls = text.classifier_dataloaders(df, list(lm_dls.vocab), mode)
        with quiet(classifier(dls, mode, encoder=encoders[name])) as learn:
            runs[name] = gradual_unfreezing(learn)
    return _arms(runs)


DISCRIMINATIVE = f"slice({TOP_LR / 100:g}, {TOP_LR:g})"
EFFECTS: dict[str, tuple[Callable[..., pd.DataFrame], str, str]] = {
    # name: (function, the arm the lesson recommends, the arm it is compared with)
    "pretrained vs scratch": (pretrained_vs_scratch, "pretrained", "from scratch"),
    "LR finder vs 100x": (learning_rates, "valley", "100x valley"),
    "one-cycle vs constant": (one_cycle_vs_constant, "one-cycle", "constant"),
    "discriminative vs one rate": (
        after_unfreezing,
        f"slice({TOP_LR / 100:g}, {TOP_LR:g})",
        f"all layers at {TOP_LR:g}",
    ),
    "unfrozen vs head only": (after_unfreezing, f"slice({TOP_LR / 100:g}, {TOP_LR:g})", "head only"),
    "no augmentation vs left-right flips": (augmentations, "no augmentation", "left-right flips"),
    "left-right flips vs all 8 orientations": (augmentations, "left-right flips", "all 8 orientations"),
    "one size vs progressive resizing": (progressive_resizing, "one size", "progressive resizing"),
    "fine-tuned vs pretrained LM encoder": (text_encoders, "fine-tuned LM encoder", "pretrained LM encoder"),
    "pretrained LM encoder vs none": (text_encoders, "pretrained LM encoder", "no pretraining"),
}


def finals(result: pd.DataFrame) -> pd.Series:
    """Each arm's error rate after its last epoch."""
    return result.groupby("arm", sort=False)["error_rate"].last()


def cpu_model() -> str:
    """The processor's name: training from random weights is reproducible to the image on one kind of
    CPU, not across kinds (their arithmetic kernels round differently, and training amplifies it)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        import platform

        return platform.processor() or "unknown"


def measure(seeds: list[int], mode: Mode, only: list[str] | None = None) -> pd.DataFrame:
    """Every effect function (or those named in `only`) for every seed: one row per seed and arm, with
    the final error rate."""
    rows = []
    for function in dict.fromkeys(fn for fn, _, _ in EFFECTS.values()):
        if only and function.__name__ not in only:
            continue
        for seed in seeds:
            start = time.perf_counter()
            final = finals(function(mode, seed))
            seconds = time.perf_counter() - start
            rows += [
                {
                    "experiment": function.__name__,
                    "seed": seed,
                    "arm": arm,
                    "error_rate": float(err),
                    "seconds": round(seconds, 1),
                    "cpu": cpu_model(),
                }
                for arm, err in final.items()
            ]
    return pd.DataFrame(rows)


def recorded(record: Path = RECORD) -> pd.DataFrame:
    """The rows of the last `--record` run (see `measure`)."""
    return pd.DataFrame(json.loads(record.read_text())["rows"])


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per effect: the recommended arm against its rival on each seed, how many seeds it won, and whether
    it is robust: won on at least 4 of 5 seeds, by a typical (median) margin larger than the spread of
    the recommended arm across seeds."""
    out = []
    for effect, (function, better, worse) in EFFECTS.items():
        part = rows[rows.experiment == function.__name__]
        part = part.pivot(index="seed", columns="arm", values="error_rate")
        margin = part[worse] - part[better]
        spread = part[better].max() - part[better].min()
        wins = int((margin > 0).sum())
        out.append(
            {
                "effect": effect,
                "better arm": better,
                "compared with": worse,
                **{f"seed {s}": f"{part.at[s, better]:.1%} vs {part.at[s, worse]:.1%}" for s in part.index},
                "wins": f"{wins}/{len(margin)}",
                "median margin (points)": round(100 * float(margin.median()), 1),
                "spread (points)": round(100 * float(spread), 1),
                "robust": bool(wins >= 0.8 * len(margin) and margin.median() > spread),
            }
        )
    return pd.DataFrame(out)


def record_caption(record: Path = RECORD) -> str:
    """Where and when the recorded seeds were measured, in words."""
    run = json.loads(record.read_text())
    seeds = sorted({r["seed"] for r in run["rows"]})
    return (
        f"Final validation error (%) for seeds {', '.join(map(str, seeds))}, measured in {run['mode']} "
        f"mode on {run['device']}, {run['date']}."
    )


def seed_table(experiment: str, rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """One experiment's final error rates per seed (rows) and arm (columns), as percentages."""
    rows = recorded() if rows is None else rows
    part = rows[rows.experiment == experiment]
    table = part.pivot(index="seed", columns="arm", values="error_rate")[list(dict.fromkeys(part.arm))]
    return (100 * table).round(1)


def markdown_table(table: pd.DataFrame, index: bool = True) -> str:
    """A DataFrame as a Markdown table (for the docs pages)."""
    table = table.reset_index() if index else table
    cells = [
        [str(c) for c in table.columns],
        *[[str(v) for v in row] for row in table.itertuples(index=False)],
    ]
    lines = ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join([lines[0], "|" + "---|" * len(table.columns), *lines[1:]])


def effects_page_section(record: Path = RECORD) -> str:
    """The Offline-mode page's tables: the summary of every effect, then each experiment per seed."""
    rows = recorded(record)
    table = summary(rows)
    table["robust"] = table["robust"].map({True: "yes", False: "**no**"})
    parts = [record_caption(record), "", markdown_table(table, index=False)]
    for function in dict.fromkeys(fn for fn, _, _ in EFFECTS.values()):
        parts += [
            "",
            f"`experiments.{function.__name__}` (error %):",
            "",
            markdown_table(seed_table(function.__name__, rows)),
        ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Measure the lessons' effects (final validation error rate)."
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--record", action="store_true", help=f"write the figures to {RECORD.name}")
    parser.add_argument(
        "--only", nargs="+", metavar="FUNCTION", help="measure these experiments and keep the other records"
    )
    args = parser.parse_args(argv)
    mode = detect_mode()
    print(mode.describe())
    start = time.perf_counter()
    rows = measure(args.seeds, mode, args.only)
    kept = recorded()[lambda r: ~r.experiment.isin(args.only)] if args.only else rows.iloc[:0]
    rows = pd.concat([kept, rows], ignore_index=True)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summary(rows).to_string(index=False))
    if args.record:
        from dlcourse.notebooks import describe_device

        today = datetime.now(UTC).strftime("%Y-%m-%d")
        dates = {*json.loads(RECORD.read_text())["date"].replace(" and ", ", ").split(", "), today}
        dates = sorted(dates if args.only else {today})
        RECORD.write_text(
            json.dumps(
                {
                    "mode": mode.name,
                    "device": describe_device(),
                    "date": ", ".join(dates[:-1]) + " and " + dates[-1] if len(dates) > 1 else dates[0],
                    "seconds": round(time.perf_counter() - start),
                    "rows": rows.to_dict(orient="records"),
                },
                indent=1,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
