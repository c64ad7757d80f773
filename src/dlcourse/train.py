"""What the lessons need beside fastai's own calls: the pretrained architecture for the mode, the
per-epoch metrics as a DataFrame, and `fine_tune` spelled out step by step."""

from __future__ import annotations

import pandas as pd
import torch
from fastai.callback.core import Callback
from fastai.learner import Learner, Recorder

import dlcourse.fastai_setup  # noqa: F401
from dlcourse.mode import Mode


def pick_arch(mode: Mode, bigger: bool = False):
    """ResNet-34 (or -50) pretrained on ImageNet in full mode; offline, the bundled small XResNet, which
    fastai knows (`model_meta`), so `vision_learner(dls, arch)` builds both the same way."""
    if mode.offline:
        from dlcourse.offline_model import offline_resnet

        return offline_resnet
    from torchvision.models import resnet34, resnet50

    return resnet50 if bigger else resnet34


def history(learn: Learner) -> pd.DataFrame:
    """The epochs of the learner's last `fit` (fastai's `Recorder`), one row each: losses and metrics."""
    names = learn.recorder.metric_names[1:-1]  # without 'epoch' and 'time'
    rows = [[float(v) for v in values] for values in learn.recorder.values]
    return pd.DataFrame(rows, columns=names).rename_axis("epoch").reset_index()


class EpochLog(Callback):
    """Keeps every epoch's metrics across fits, each with its stage (fastai's `Recorder` starts afresh at
    each fit): the comparisons use it to follow a recipe of several fits, such as `fine_tune`."""

    order = Recorder.order + 1

    def __init__(self):
        self.rows: list[dict] = []
        self.trained = False

    def after_train(self):  # only real training epochs get here: not get_preds, not a cancelled lr_find
        self.trained = not hasattr(self.learn, "lr_finder")

    def after_epoch(self):
        if not self.trained:
            return
        self.trained = False
        names = self.recorder.metric_names[1:-1]
        frozen = any(not p.requires_grad for p in self.learn.model.parameters())
        values = map(float, self.recorder.values[-1])
        self.rows.append(
            {
                "stage": "head only" if frozen else "all layers",
                "epoch": len(self.rows),
                **dict(zip(names, values, strict=True)),
            }
        )

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


def for_comparison(learn: Learner, half_precision: bool = False) -> Learner:
    """`learn` set up as every comparison uses it: each epoch's metrics kept across fits (`EpochLog`) and,
    with `half_precision` on a GPU, mixed precision as the lessons' cells ask for it there."""
    import torch

    learn.add_cb(EpochLog())
    return learn.to_fp16() if half_precision and torch.cuda.is_available() else learn


def precision(learn: Learner) -> str:
    """The number format a learner trains in, in words."""
    from fastai.callback.fp16 import AMPMode, MixedPrecision

    mixed = [cb for cb in learn.cbs if isinstance(cb, MixedPrecision)]
    if not mixed:
        return "float32 throughout"
    kind = "bfloat16" if mixed[0].amp_mode == AMPMode.BF16 else "float16"
    if not torch.cuda.is_available():
        return f"float32: {kind} mixed precision was asked for, but it runs on a GPU only"
    return f"{kind} mixed precision (float32 weights, {kind} arithmetic where it is safe)"


def as_percentages(metrics: pd.DataFrame):
    """The table for reading: error rate and accuracy as percentages, losses to four decimals."""
    rates = {c: "{:.1%}" for c in ("error_rate", "accuracy", "foreground_acc") if c in metrics}
    losses = {c: "{:.4f}" for c in ("train_loss", "valid_loss") if c in metrics}
    return metrics.style.format({**rates, **losses}).hide(axis="index")


def fine_tune_by_hand(
    learn: Learner,
    epochs: int,
    base_lr: float = 2e-3,
    freeze_epochs: int = 1,
    lr_mult: float = 100,
    pct_start: float = 0.3,
    div: float = 5.0,
) -> None:
    """What `Learner.fine_tune` does, spelled out: it must give exactly fastai's numbers."""
    learn.freeze()  # 1. only the new head (and batchnorm) trains
    learn.fit_one_cycle(freeze_epochs, slice(base_lr), pct_start=0.99)  # 2. almost all warm-up
    learn.unfreeze()  # 3. everything trains, the body at lower learning rates
    half = base_lr / 2
    learn.fit_one_cycle(epochs, slice(half / lr_mult, half), pct_start=pct_start, div=div)  # 4.


def parameter_counts(n_classes: int, arch=None) -> dict[str, int]:
    """Parameters of `arch` (default: the offline model) with a fastai head for `n_classes`: trainable when
    frozen and unfrozen, and the parts they come from (body, its batch norm, head).

    Uses `dlcourse.fast.set_frozen`, fastai's freeze rule re-stated; the test suite checks the counts
    against a real fastai learner.
    """
    from fastai.vision.learner import create_vision_model, model_meta

    from dlcourse.fast import set_frozen
    from dlcourse.offline_model import offline_resnet

    arch = arch or offline_resnet
    model = create_vision_model(arch, n_classes, pretrained=False)
    groups = model_meta[arch]["split"](model)
    norm = (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)
    body, head = model[0], model[1]
    counts = {
        "body": sum(p.numel() for p in body.parameters()),
        "body_batchnorm": sum(
            p.numel() for m in body.modules() if isinstance(m, norm) for p in m.parameters()
        ),
        "head": sum(p.numel() for p in head.parameters()),
    }
    for name, frozen in (("frozen", True), ("unfrozen", False)):
        set_frozen(model, groups, frozen)
        counts[name] = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return counts
