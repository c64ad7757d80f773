"""Training recipes the lessons call. Each runs fastai and returns the per-epoch metrics as a DataFrame."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import torch
from fastai.callback.channelslast import ChannelsLast
from fastai.callback.core import Callback
from fastai.learner import Learner, Recorder, load_learner
from fastai.metrics import accuracy, error_rate
from fastai.vision.learner import vision_learner

import dlcourse.fastai_setup  # noqa: F401
from dlcourse.data import data_root
from dlcourse.mode import Mode


class EpochLog(Callback):
    """Keeps every epoch's metrics across fits (fastai's Recorder starts afresh at each fit)."""

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
        names = self.recorder.metric_names[1:-1]  # without 'epoch' and 'time'
        frozen = any(not p.requires_grad for p in self.learn.model.parameters())
        values = map(float, self.recorder.values[-1])
        self.rows.append(
            {
                "stage": "head only" if frozen else "all layers",
                "epoch": len(self.rows),
                **dict(zip(names, values, strict=True)),
            }
        )


def pick_arch(mode: Mode, bigger: bool = False):
    """ResNet-34 (or -50) pretrained on ImageNet in full mode; the bundled small XResNet offline."""
    if mode.offline:
        from dlcourse.offline_model import offline_resnet

        return offline_resnet
    from torchvision.models import resnet34, resnet50

    return resnet50 if bigger else resnet34


def make_learner(
    dls,
    mode: Mode,
    pretrained: bool = True,
    arch=None,
    mixed_precision: bool | None = None,
    path: Path | None = None,
    metrics: list | None = None,
) -> Learner:
    """`vision_learner` with error rate and accuracy (or `metrics`: multi-label data needs its own); on a
    GPU, mixed precision (bf16 where supported) and the channels-last memory layout, which the GPU's
    tensor cores run fastest. The loss is fastai's choice for the data's target block."""
    arch = arch or pick_arch(mode)
    metrics = [error_rate, accuracy] if metrics is None else metrics
    try:
        path = path or data_root() / "runs"
        learn = vision_learner(dls, arch, pretrained=pretrained, metrics=metrics, path=path)
    except OSError as err:  # URLError is an OSError: pretrained weights could not be downloaded
        raise RuntimeError(
            f"could not load pretrained weights for {arch.__name__}: {err}. "
            "Use offline mode (DLCOURSE_MODE=offline or --offline) to use the bundled model."
        ) from err
    learn.add_cb(EpochLog())
    if torch.cuda.is_available() and mixed_precision is not False:
        learn = learn.to_bf16() if torch.cuda.is_bf16_supported() else learn.to_fp16()
        learn.add_cb(ChannelsLast())
    return learn


def precision(learn: Learner) -> str:
    """The number format a learner trains in, in words."""
    from fastai.callback.fp16 import AMPMode, MixedPrecision

    mixed = [cb for cb in learn.cbs if isinstance(cb, MixedPrecision)]
    if not mixed:
        return "float32 throughout"
    kind = "bfloat16" if mixed[0].amp_mode == AMPMode.BF16 else "float16"
    if not torch.cuda.is_available():
        return f"float32: {kind} mixed precision was asked for, but fastai's runs on a GPU only"
    return f"{kind} mixed precision (float32 master weights)"


def history(learn: Learner) -> pd.DataFrame:
    """All epochs trained so far, one row each: stage, train/valid loss, error rate, accuracy."""
    return pd.DataFrame(learn.epoch_log.rows)


def as_percentages(metrics: pd.DataFrame):
    """The table for reading: error rate and accuracy as percentages, losses to four decimals."""
    rates = {c: "{:.1%}" for c in ("error_rate", "accuracy") if c in metrics}
    losses = {c: "{:.4f}" for c in ("train_loss", "valid_loss") if c in metrics}
    return metrics.style.format({**rates, **losses}).hide(axis="index")


def _logged(learn: Learner, train: Callable[[], None]) -> pd.DataFrame:
    start = len(learn.epoch_log.rows)
    train()
    return history(learn).iloc[start:].reset_index(drop=True)


def fine_tune(learn: Learner, epochs: int, base_lr: float = 2e-3, freeze_epochs: int = 1) -> pd.DataFrame:
    """fastai's transfer-learning default: head only for `freeze_epochs`, then all layers."""
    return _logged(learn, lambda: learn.fine_tune(epochs, base_lr=base_lr, freeze_epochs=freeze_epochs))


def fine_tune_by_hand(
    learn: Learner,
    epochs: int,
    base_lr: float = 2e-3,
    freeze_epochs: int = 1,
    lr_mult: float = 100,
    pct_start: float = 0.3,
    div: float = 5.0,
) -> pd.DataFrame:
    """What `Learner.fine_tune` does, spelled out: it must give exactly fastai's numbers."""

    def steps():
        learn.freeze()  # 1. only the new head (and batchnorm) trains
        learn.fit_one_cycle(freeze_epochs, slice(base_lr), pct_start=0.99)  # 2. almost all warm-up
        learn.unfreeze()  # 3. everything trains, the body at lower learning rates
        half = base_lr / 2
        learn.fit_one_cycle(epochs, slice(half / lr_mult, half), pct_start=pct_start, div=div)

    return _logged(learn, steps)


def fit_one_cycle(learn: Learner, epochs: int, lr_max: float | slice | None = None) -> pd.DataFrame:
    return _logged(learn, lambda: learn.fit_one_cycle(epochs, lr_max))


def fit_constant(learn: Learner, epochs: int, lr: float) -> pd.DataFrame:
    """Plain `fit` at one constant learning rate (the baseline one-cycle is compared with)."""
    return _logged(learn, lambda: learn.fit(epochs, lr))


def train_head_then_unfreeze(
    learn: Learner, head_epochs: int, head_lr: float, epochs: int, lr_max: float | slice
) -> pd.DataFrame:
    """Freeze, train the head, unfreeze, one-cycle on all layers at `lr_max` (a float or slice(lo, hi))."""

    def train():
        learn.freeze()
        learn.fit_one_cycle(head_epochs, head_lr)
        learn.unfreeze()
        learn.fit_one_cycle(epochs, lr_max)

    return _logged(learn, train)


def trainable_parameters(learn: Learner) -> int:
    return sum(p.numel() for p in learn.model.parameters() if p.requires_grad)


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


def export_and_reload(learn: Learner, fname: str = "export.pkl") -> Learner:
    """Export the learner for inference (fastai's `export`) and load it back as a user would.

    `load_learner` unpickles, which can run code hidden in a file: it warns about that on every load.
    This file was written by the line above, so the warning is silenced here, and only here."""
    import warnings

    Path(learn.path).mkdir(parents=True, exist_ok=True)  # a learner that has not trained may lack it
    learn.export(fname)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*insecure pickle module")
        return load_learner(learn.path / fname)


def predict_one(learn: Learner, image_file: Path) -> tuple[str, float]:
    """The predicted label of one image file and its probability."""
    label, index, probs = learn.predict(Path(image_file))
    return str(label), float(probs[index])
