"""The comparisons the lessons make, as functions: each trains real models and returns a DataFrame.

Every effect takes a mode and a seed and returns one row per epoch and arm (`arm`, `stage`, `epoch`,
`train_loss`, `valid_loss`, `error_rate`, ...). The lessons call them for one seed and plot the result;
`python -m dlcourse_tools record experiments` (in a clone of the course) runs them for several seeds and
writes the final error rates to `weights/offline_effects.json`, which the lessons and the Offline-mode
page show as the spread across seeds (`recorded`, `summary`).
"""

from __future__ import annotations

import copy
import json
import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from dlcourse import train
from dlcourse.data import data_root
from dlcourse.mode import Mode, cpu_model
from dlcourse.pets import pets_config, pets_dataloaders, pets_path

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
    from fastai.metrics import accuracy, error_rate
    from fastai.vision.learner import vision_learner

    kwargs.setdefault("metrics", [error_rate, accuracy])
    learn = vision_learner(dls, train.pick_arch(mode), pretrained=pretrained, **kwargs)
    return train.for_comparison(learn, half_precision=True)


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


def trained(mode: Mode, seed: int, recipe: Callable[[object], object], **data) -> pd.DataFrame:
    """A fresh learner (`learner(mode, seed, **data)`) trained quietly by `recipe(learn)`: its epochs."""
    with quiet(learner(mode, seed, **data)) as learn:
        return trained_epochs(learn, lambda: recipe(learn))


def _arms(runs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return pd.concat([df.assign(arm=name) for name, df in runs.items()], ignore_index=True)


_PENDING: list[Callable[[], object]] = []  # the arms of `side_by_side`; a forked worker inherits them


def _run_pending(index: int) -> object:
    return _PENDING[index]()


def side_by_side(arms: dict[str, Callable[[], object]], jobs: int | None = None) -> dict[str, object]:
    """Each arm's result (`arm()` must return something picklable). On a CPU every arm runs at once (up
    to one per core, at least two), each in a forked process of one thread: on two cores that finishes
    sooner than one after the other on two threads, and gives the same numbers as a run on one thread.
    On a GPU: one after the other. `jobs`: at most that many at once."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import torch

    global _PENDING
    jobs = min(len(arms), jobs or max(2, os.cpu_count() or 1))
    if jobs < 2 or torch.cuda.is_available() or multiprocessing.current_process().daemon:
        return {name: arm() for name, arm in arms.items()}
    outer, _PENDING = _PENDING, list(arms.values())  # an arm may itself call side_by_side
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(jobs, context, torch.set_num_threads, (1,)) as pool:
            return dict(zip(arms, pool.map(_run_pending, range(len(arms))), strict=True))
    finally:
        _PENDING = outer


def pretrained_vs_scratch(mode: Mode, seed: int = 0) -> pd.DataFrame:
    """The same number of epochs: fine-tuning the pretrained model vs one-cycle from random weights."""
    arms = {
        "pretrained": partial(trained, mode, seed, lambda learn: learn.fine_tune(EPOCHS)),
        "from scratch": partial(
            trained, mode, seed, lambda learn: learn.fit_one_cycle(EPOCHS + 1, SCRATCH_LR), pretrained=False
        ),
    }
    return _arms(side_by_side(arms))


def learning_rates(mode: Mode, seed: int = 0) -> pd.DataFrame:
    """fine_tune at the LR finder's valley, and at 10x and 100x that rate."""
    with quiet(learner(mode, seed)) as learn:
        valley = float(learn.lr_find(show_plot=False).valley)

    def at(factor: float):
        return partial(trained, mode, seed, lambda learn: learn.fine_tune(EPOCHS, base_lr=valley * factor))

    arms = {"valley" if factor == 1 else f"{factor}x valley": at(factor) for factor in (1, 10, 100)}
    return _arms(side_by_side(arms)).assign(valley=valley)


def trained_head(mode: Mode, seed: int) -> tuple[pd.DataFrame, dict]:
    """One epoch of the head on the frozen pretrained body (`fit_one_cycle(1, 1e-2)`): its table and weights,
    the common start of the comparisons after unfreezing."""
    with quiet(learner(mode, seed)) as learn:
        head = trained_epochs(learn, lambda: learn.fit_one_cycle(1, SCRATCH_LR))
        return head, copy.deepcopy(learn.model.state_dict())


def from_head(
    mode: Mode, seed: int, weights: dict, recipe: Callable[[object], object], unfreeze: bool = True
):
    """A fresh learner with the head-trained `weights`, unfrozen (or not), trained by `recipe(learn)`: its
    epochs, and the per-batch training losses."""
    with quiet(learner(mode, seed)) as learn:
        learn.model.load_state_dict(weights)
        if unfreeze:
            learn.unfreeze()
        epochs = trained_epochs(learn, lambda: recipe(learn))
        return epochs, [float(x) for x in learn.recorder.losses]


def one_cycle_vs_constant(mode: Mode, seed: int = 0, lr: slice = slice(TOP_LR / 100, TOP_LR)) -> pd.DataFrame:
    """After the head's epoch, the unfrozen model trained EPOCHS more at the same discriminative peak
    rates: `fit_one_cycle` or `fit` at those constant rates.

    Also returns each arm's per-batch training loss in `.attrs["losses"]`."""
    head, weights = trained_head(mode, seed)
    runs = side_by_side(
        {
            "one-cycle": lambda: from_head(
                mode, seed, weights, lambda learn: learn.fit_one_cycle(EPOCHS, lr)
            ),
            "constant": lambda: from_head(mode, seed, weights, lambda learn: learn.fit(EPOCHS, lr)),
        }
    )
    result = _arms({name: pd.concat([head, epochs], ignore_index=True) for name, (epochs, _) in runs.items()})
    result.attrs["losses"] = {name: losses for name, (_, losses) in runs.items()}
    return result


def after_unfreezing(mode: Mode, seed: int = 0, top: float = TOP_LR) -> pd.DataFrame:
    """Train the head, then from those same weights: head only, or unfrozen at one rate for all layers,
    or at discriminative rates with the same top rate."""
    head, weights = trained_head(mode, seed)

    def arm(unfreeze: bool, lr: float | slice):
        return lambda: from_head(
            mode, seed, weights, lambda learn: learn.fit_one_cycle(EPOCHS, lr), unfreeze
        )[0]

    runs = side_by_side(
        {
            "head only": arm(False, top),
            f"all layers at {top:g}": arm(True, top),
            f"slice({top / 100:g}, {top:g})": arm(True, slice(top / 100, top)),
        }
    )
    return _arms({name: pd.concat([head, epochs], ignore_index=True) for name, epochs in runs.items()})


def fine_tune_by_hand_vs_fastai(mode: Mode, seed: int = 1, epochs: int = 1) -> pd.DataFrame:
    """Lesson 5's check: fastai's `fine_tune(epochs)` and `train.fine_tune_by_hand`, each on a fresh learner
    from the same seed; their losses side by side, one row per epoch (both stages)."""
    runs = side_by_side(
        {
            "fastai fine_tune": partial(trained, mode, seed, lambda learn: learn.fine_tune(epochs)),
            "by hand": partial(trained, mode, seed, lambda learn: train.fine_tune_by_hand(learn, epochs)),
        }
    )
    return pd.concat(runs, axis=1)[[(n, c) for n in runs for c in ("train_loss", "valid_loss")]]


def augmentation_arms(mode: Mode) -> dict[str, list | None]:
    """Lesson 6's batch transforms: none, left-right flips only, the lessons' `aug_transforms` (flips,
    small turns, zooms, warps and lighting, with random crops keeping at least `min_scale` of the photo:
    all of it offline), and the same with fastai's Pets setting, crops keeping 75 %."""
    from fastai.vision.augment import aug_transforms

    cfg = pets_config(mode)
    only = dict(size=cfg.size, max_rotate=0.0, max_zoom=1.0, max_lighting=0.0, max_warp=0.0, min_scale=1.0)
    arms = {
        "no augmentation": None,
        "left-right flips": aug_transforms(do_flip=True, **only),
        "aug_transforms": aug_transforms(size=cfg.size, min_scale=cfg.min_scale),
    }
    if cfg.min_scale != CROP_SCALE:
        arms[CROPPED] = aug_transforms(size=cfg.size, min_scale=CROP_SCALE)
    return arms


CROP_SCALE = 0.75  # fastai's Pets lesson: random crops keep at least 75 % of the photo
CROPPED = f"aug_transforms, min_scale={CROP_SCALE}"


def augmentations(mode: Mode, seed: int = 0) -> pd.DataFrame:
    """fine_tune with the same budget under each of `augmentation_arms`. `.attrs["training error"]`: the
    arm without augmentation, measured on its own training photos at the end (what overfitting leaves)."""

    def without_augmentation():
        with quiet(learner(mode, seed, batch_tfms=None)) as learn:
            epochs = trained_epochs(learn, lambda: learn.fine_tune(EPOCHS))
            training = learn.dls.train.new(shuffle=False, drop_last=False)
            return epochs, float(learn.validate(dl=training)[1])

    def fine_tuned(tfms):
        return partial(trained, mode, seed, lambda learn: learn.fine_tune(EPOCHS), batch_tfms=tfms)

    arms = {name: fine_tuned(tfms) for name, tfms in augmentation_arms(mode).items()}
    arms["no augmentation"] = without_augmentation
    runs = side_by_side(arms)
    runs["no augmentation"], training_error = runs["no augmentation"]
    result = _arms(runs)
    result.attrs["training error"] = training_error
    return result


def progressive_resizing(mode: Mode, seed: int = 0) -> pd.DataFrame:
    """The same epochs: fine_tune at full size ("one size"), or its first epochs on images two thirds
    as wide and the last one at full size, with a new DataLoaders and the same model ("progressive
    resizing"). `.attrs`: each arm's sizes and seconds."""
    full = pets_config(mode).size
    small = full * 2 // 3

    def one_size():
        start = time.perf_counter()
        with quiet(learner(mode, seed)) as learn:
            return trained_epochs(learn, lambda: learn.fine_tune(EPOCHS)), time.perf_counter() - start

    def progressive():
        start = time.perf_counter()
        with quiet(learner(mode, seed, size=small)) as learn:
            first = trained_epochs(learn, lambda: learn.fine_tune(EPOCHS - 1))
            learn.dls = pets_dataloaders(pets_path(mode), mode, seed=seed)
            last = trained_epochs(learn, lambda: learn.fit_one_cycle(1, slice(1e-5, 1e-3)))
            return pd.concat([first, last], ignore_index=True), time.perf_counter() - start

    runs = side_by_side({"one size": one_size, "progressive resizing": progressive})
    result = _arms({name: epochs for name, (epochs, _) in runs.items()})
    result.attrs.update(
        seconds={name: seconds for name, (_, seconds) in runs.items()},
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
    learn = language_model_learner(
        dls,
        AWD_LSTM,
        drop_mult=cfg.lm_drop_mult,
        metrics=[accuracy, Perplexity()],
        path=data_root() / "runs",
        **text.lm_options(mode),
    )
    return train.for_comparison(learn)


def classifier(dls, mode: Mode, encoder: str | None = None):
    """Lesson 9's `text_classifier_learner`, with the encoder a language model saved, each epoch kept."""
    from fastai.metrics import accuracy, error_rate
    from fastai.text.learner import text_classifier_learner
    from fastai.text.models.awdlstm import AWD_LSTM

    from dlcourse import text

    cfg = text.config(mode)
    learn = text_classifier_learner(
        dls,
        AWD_LSTM,
        drop_mult=cfg.classifier_drop_mult,
        metrics=[error_rate, accuracy],
        path=data_root() / "runs",
        **text.classifier_options(mode),
    )
    learn = train.for_comparison(learn)
    return learn if encoder is None else learn.load_encoder(encoder)


def text_encoders(mode: Mode, seed: int = 0) -> pd.DataFrame:
    """Lesson 9's classifier, trained the same way (`gradual_unfreezing`) from three encoders: the
    language model fine-tuned on the reviews, the pretrained language model as it is, and random weights."""
    from fastai.torch_core import set_seed

    from dlcourse import text

    df = text.read_reviews(text.reviews_path(mode))
    set_seed(seed, reproducible=True)
    lm_dls = text.lm_dataloaders(df[~df.is_valid], mode, seed=seed)  # as the lesson: training reviews only

    def encoder(fine_tune: bool):
        def run():
            set_seed(seed, reproducible=True)
            with quiet(language_model(lm_dls, mode)) as learn:
                if fine_tune:
                    fine_tune_language_model(learn)
                name = f"experiment-{'fine-tuned' if fine_tune else 'pretrained'}-{seed}"
                learn.save_encoder(name)
                return name

        return run

    encoders = side_by_side({"pretrained LM encoder": encoder(False), "fine-tuned LM encoder": encoder(True)})
    encoders["no pretraining"] = None

    def classify(name: str):
        def run():
            set_seed(seed, reproducible=True)
            dls = text.classifier_dataloaders(df, list(lm_dls.vocab), mode)
            with quiet(classifier(dls, mode, encoder=encoders[name])) as learn:
                return gradual_unfreezing(learn)

        return run

    return _arms(side_by_side({name: classify(name) for name in ENCODER_ARMS}))


# Lesson 11 trains its own CNN on the same shipped Fashion-MNIST items in both modes; its experiments take
# `mode` only to be called as every effect is.
SCRATCH_EPOCHS = 3  # lesson 11: a CNN from scratch, one-cycle over three epochs
SCRATCH_BS = 64
LOW_RATE, HIGH_RATE = 0.06, 0.2  # lesson 11's rates: fastbook's, and one that the plain CNN cannot take


def fashion_dls(seed: int, bs: int = SCRATCH_BS):
    """Lessons 11 and 12's DataLoaders (`scratch.fashion_dataloaders`, from the course's cache), after
    fixing every random choice that follows (weights, batch order) by `seed`."""
    from fastai.torch_core import set_seed

    from dlcourse import scratch
    from dlcourse.fast import cached

    set_seed(seed, reproducible=True)
    return cached(scratch.fashion_dataloaders(bs=bs, seed=seed))


def scratch_learner(seed: int, bn: bool, bs: int = SCRATCH_BS, near_zero: bool = False):
    """Lesson 11's `Learner` on its Fashion-MNIST folder: `simple_cnn`, with or without batch norm, its
    random choices (weights, batch order) fixed by `seed`. `near_zero`: `ActivationStats` on the four
    ReLU blocks, as the lesson trains it."""
    from fastai.callback.hook import ActivationStats
    from fastai.learner import Learner
    from fastai.metrics import error_rate

    from dlcourse import scratch

    dls = fashion_dls(seed, bs)
    model = scratch.simple_cnn(dls.c, bn=bn)
    cbs = [ActivationStats(modules=list(model)[:4])] if near_zero else []
    return train.for_comparison(Learner(dls, model, metrics=error_rate, cbs=cbs))


def scratch_run(seed: int, bn: bool, recipe: Callable[[object], object], bs: int = SCRATCH_BS) -> tuple:
    """(epochs, per-batch training losses, per-batch share of the fourth block's activations near zero)
    of `recipe(learn)` on a fresh `scratch_learner`."""
    from dlcourse import scratch

    with quiet(scratch_learner(seed, bn, bs, near_zero=True)) as learn:
        epochs = trained_epochs(learn, lambda: recipe(learn))
        return epochs, [float(x) for x in learn.recorder.losses], scratch.near_zero_share(learn)


def _scratch_arms(runs: dict[str, tuple]) -> pd.DataFrame:
    """The epochs of each arm, with each arm's losses and near-zero shares in `.attrs`."""
    result = _arms({name: epochs for name, (epochs, _, _) in runs.items()})
    result.attrs["losses"] = {name: losses for name, (_, losses, _) in runs.items()}
    result.attrs["near_zero"] = {name: share for name, (_, _, share) in runs.items()}
    return result


def batch_norm(mode: Mode, seed: int = 0) -> pd.DataFrame:
    """Lesson 11: `simple_cnn` with and without batch norm, `fit_one_cycle(SCRATCH_EPOCHS, lr)` at
    LOW_RATE and at HIGH_RATE. `.attrs`: each arm's per-batch losses and near-zero shares."""

    def arm(bn: bool, lr: float):
        return partial(scratch_run, seed, bn, lambda learn: learn.fit_one_cycle(SCRATCH_EPOCHS, lr))

    return _scratch_arms(
        side_by_side(
            {
                f"{'batch norm' if bn else 'plain'}, lr {lr:g}": arm(bn, lr)
                for lr in (LOW_RATE, HIGH_RATE)
                for bn in (False, True)
            }
        )
    )


def batch_sizes(mode: Mode, seed: int = 0) -> pd.DataFrame:
    """Lesson 11: the batch-norm CNN trained for the same epochs with batches of 16, 64 and 512 (one-cycle
    at LOW_RATE): more and noisier steps, or fewer and smoother. `.attrs`: per-batch losses."""

    def one_cycle(learn):
        learn.fit_one_cycle(SCRATCH_EPOCHS, LOW_RATE)

    def arm(bs: int):
        return partial(scratch_run, seed, True, one_cycle, bs)

    return _scratch_arms(side_by_side({f"bs {bs}": arm(bs) for bs in (16, SCRATCH_BS, 512)}))


def scratch_schedules(mode: Mode, seed: int = 0) -> pd.DataFrame:
    """Lesson 11: the batch-norm CNN trained for the same epochs at LOW_RATE, by `fit_one_cycle` or by `fit`
    (the rate constant). `.attrs`: per-batch losses."""
    recipes = {
        "one-cycle": lambda learn: learn.fit_one_cycle(SCRATCH_EPOCHS, LOW_RATE),
        "constant": lambda learn: learn.fit(SCRATCH_EPOCHS, LOW_RATE),
    }
    arms = {name: partial(scratch_run, seed, True, recipe) for name, recipe in recipes.items()}
    return _scratch_arms(side_by_side(arms))


DEPTH_LR = 0.01  # lesson 12: one-cycle's peak for the deep and shallow networks
DEPTHS = {"8 layers": 1, "38 layers": 6}  # the networks' layers with weights: blocks per stage


def depth_run(seed: int, blocks_per_stage: int, residual: bool) -> pd.DataFrame:
    """Lesson 12: `resnet.deep_and_shallow(blocks_per_stage, residual)` trained from `seed` on lesson 11's
    data (three epochs of one-cycle at DEPTH_LR): its epochs."""
    from fastai.learner import Learner
    from fastai.metrics import error_rate

    from dlcourse import resnet

    dls = fashion_dls(seed)
    model = resnet.deep_and_shallow(blocks_per_stage, residual, n_out=dls.c)
    with quiet(train.for_comparison(Learner(dls, model, metrics=error_rate))) as learn:
        return trained_epochs(learn, lambda: learn.fit_one_cycle(SCRATCH_EPOCHS, DEPTH_LR))


def depth_and_skips(mode: Mode, seed: int = 0) -> pd.DataFrame:
    """Lesson 12: a plain CNN of 8 layers and one of 38, and the same 38 layers with identity paths (a
    ResNet), trained the same way from the same seed."""
    arms = {
        "plain, 8 layers": partial(depth_run, seed, DEPTHS["8 layers"], False),
        "plain, 38 layers": partial(depth_run, seed, DEPTHS["38 layers"], False),
        "residual, 38 layers": partial(depth_run, seed, DEPTHS["38 layers"], True),
    }
    return _arms(side_by_side(arms))


class Effect(NamedTuple):
    """A claim the lessons test: `better` beats `worse` (lower final `metric`) in `function`'s runs."""

    function: Callable[..., pd.DataFrame]
    better: str
    worse: str
    metric: str = "error_rate"  # or "train_loss" (the training loss at the end), or "seconds" (training time)


SLICE = f"slice({TOP_LR / 100:g}, {TOP_LR:g})"
EFFECTS: dict[str, Effect] = {
    "pretrained vs scratch": Effect(pretrained_vs_scratch, "pretrained", "from scratch"),
    "LR finder vs 100x": Effect(learning_rates, "valley", "100x valley"),
    "one-cycle vs constant": Effect(one_cycle_vs_constant, "one-cycle", "constant"),
    "discriminative vs one rate": Effect(after_unfreezing, SLICE, f"all layers at {TOP_LR:g}"),
    "unfrozen vs head only": Effect(after_unfreezing, SLICE, "head only"),
    "augmentation vs none": Effect(augmentations, "aug_transforms", "no augmentation"),
    "left-right flips vs none": Effect(augmentations, "left-right flips", "no augmentation"),
    "whole photos vs random crops": Effect(augmentations, "aug_transforms", CROPPED),
    "progressive resizing vs one size, time": Effect(
        progressive_resizing, "progressive resizing", "one size", "seconds"
    ),
    "one size vs progressive resizing": Effect(progressive_resizing, "one size", "progressive resizing"),
    "fine-tuned vs pretrained LM encoder": Effect(
        text_encoders, "fine-tuned LM encoder", "pretrained LM encoder"
    ),
    "pretrained LM encoder vs none": Effect(text_encoders, "pretrained LM encoder", "no pretraining"),
    "batch norm vs plain": Effect(batch_norm, f"batch norm, lr {LOW_RATE:g}", f"plain, lr {LOW_RATE:g}"),
    "batch norm vs plain, high rate": Effect(
        batch_norm, f"batch norm, lr {HIGH_RATE:g}", f"plain, lr {HIGH_RATE:g}"
    ),
    "batch of 64 vs 512": Effect(batch_sizes, f"bs {SCRATCH_BS}", "bs 512"),
    "one-cycle vs constant, from scratch": Effect(scratch_schedules, "one-cycle", "constant"),
    "plain: 8 layers vs 38, training loss": Effect(
        depth_and_skips, "plain, 8 layers", "plain, 38 layers", "train_loss"
    ),
    "residual vs plain, 38 layers": Effect(depth_and_skips, "residual, 38 layers", "plain, 38 layers"),
}


def finals(result: pd.DataFrame) -> pd.Series:
    """Each arm's error rate after its last epoch."""
    return result.groupby("arm", sort=False)["error_rate"].last()


def functions() -> list[Callable[..., pd.DataFrame]]:
    """The experiment functions behind `EFFECTS`, each once."""
    return list(dict.fromkeys(effect.function for effect in EFFECTS.values()))


def measure(seeds: list[int], mode: Mode, only: list[str] | None = None) -> pd.DataFrame:
    """Every effect function (or those named in `only`) for every seed: one row per seed and arm, with
    the final error rate, the whole run's seconds and the arm's own (where the function times its arms)."""
    rows = []
    for function in functions():
        if only and function.__name__ not in only:
            continue
        for seed in seeds:
            start = time.perf_counter()
            result = function(mode, seed)
            seconds = time.perf_counter() - start
            arm_seconds = result.attrs.get("seconds", {})
            train_losses = result.groupby("arm", sort=False)["train_loss"].last()
            rows += [
                {
                    "experiment": function.__name__,
                    "seed": seed,
                    "arm": arm,
                    "error_rate": float(err),
                    "train_loss": float(train_losses[arm]),
                    "seconds": round(seconds, 1),
                    "arm_seconds": round(arm_seconds[arm], 2) if arm in arm_seconds else None,
                    "cpu": cpu_model(),
                    "date": datetime.now(UTC).strftime("%Y-%m-%d"),
                }
                for arm, err in finals(result).items()
            ]
    return pd.DataFrame(rows)


def measure_in_parallel(seeds: list[int], mode: Mode, only: list[str] | None, jobs: int) -> pd.DataFrame:
    """`measure`, each experiment and seed a task, `jobs` tasks at a time (`side_by_side`)."""
    if jobs <= 1:
        return measure(seeds, mode, only)
    tasks = {
        f"{fn.__name__} seed {seed}": partial(measure, [seed], mode, [fn.__name__])
        for fn in functions()
        if not only or fn.__name__ in only
        for seed in seeds
    }
    return pd.concat(side_by_side(tasks, jobs).values(), ignore_index=True)


def recorded(record: Path = RECORD) -> pd.DataFrame:
    """The rows of the last `--record` run (see `measure`)."""
    return pd.DataFrame(json.loads(record.read_text())["rows"])


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per effect: the recommended arm against its rival on each seed, how many seeds it won, and whether
    it is robust: won on at least 4 of 5 seeds, by a typical (median) margin larger than the spread of
    the recommended arm across seeds."""
    out = []
    for effect, (function, better, worse, metric) in EFFECTS.items():
        part = rows[rows.experiment == function.__name__]
        column = "arm_seconds" if metric == "seconds" else metric
        part = part.pivot(index="seed", columns="arm", values=column)
        scale, show, difference = {  # how a value and a difference between two arms are written
            "seconds": (1, lambda v: f"{v:.1f} s", lambda d: f"{d:.1f} s"),
            "train_loss": (1, lambda v: f"{v:.3f}", lambda d: f"{d:.3f}"),
            "error_rate": (100, lambda v: f"{v:.1%}", lambda d: f"{d:.1f} points"),
        }[metric]
        margin = scale * (part[worse] - part[better])
        spread = scale * (part[better].max() - part[better].min())
        wins = int((margin > 0).sum())
        out.append(
            {
                "effect": effect,
                "better arm": better,
                "compared with": worse,
                **{
                    f"seed {s}": f"{show(part.at[s, better])} vs {show(part.at[s, worse])}"
                    for s in part.index
                },
                "wins": f"{wins}/{len(margin)}",
                "median margin": difference(float(margin.median())),
                "spread": difference(float(spread)),
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
        f"mode on {run['device']}{run.get('how', '')}, {run['date']}."
    )


def seed_table(experiment: str, rows: pd.DataFrame | None = None, values: str = "error_rate") -> pd.DataFrame:
    """One experiment's final error rates (as percentages), or final training losses (`values="train_loss"`),
    per seed (rows) and arm (columns)."""
    rows = recorded() if rows is None else rows
    part = rows[rows.experiment == experiment]
    table = part.pivot(index="seed", columns="arm", values=values)[list(dict.fromkeys(part.arm))]
    return (100 * table).round(1) if values == "error_rate" else table.round(3)
