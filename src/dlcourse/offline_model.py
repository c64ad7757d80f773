"""The small pretrained model bundled for offline mode: a narrow XResNet (fastai's own architecture).

Its weights come from `dlcourse.pretrain` (Fashion-MNIST's ten classes, on its training split; the offline
lessons use test-split images only) and ship in `dlcourse/weights/`. Registered in fastai's `model_meta`, so
`vision_learner(dls, offline_resnet)` cuts, splits, normalises and freezes it like a ResNet.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from fastai.layers import ResBlock
from fastai.vision.learner import _xresnet_split, model_meta
from fastai.vision.models.xresnet import XResNet

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
WEIGHTS = WEIGHTS_DIR / "offline_resnet.pth"
RECORD = WEIGHTS_DIR / "offline_resnet.json"
PRETRAIN_CLASSES = 10


def offline_resnet(pretrained: bool = False, n_out: int = PRETRAIN_CLASSES) -> XResNet:
    """A 5-stage XResNet about 1 MB in size; `pretrained` loads the bundled weights."""
    model = XResNet(ResBlock, 1, [1, 1, 1, 1], c_in=3, n_out=n_out, stem_szs=(16, 16, 64), widen=0.25)
    if pretrained:
        if not WEIGHTS.exists():
            raise FileNotFoundError(f"{WEIGHTS} is missing: run `python -m dlcourse.pretrain` to recreate it")
        model.load_state_dict(torch.load(WEIGHTS, map_location="cpu", weights_only=True))
    return model


def pretraining_record() -> dict:
    """The recipe, data and accuracy of the run that produced the bundled weights."""
    return json.loads(RECORD.read_text())


def _stats() -> tuple[list[float], list[float]]:
    if RECORD.exists():
        rec = pretraining_record()
        return rec["stats"]["mean"], rec["stats"]["std"]
    return [0.5] * 3, [0.25] * 3


model_meta[offline_resnet] = {"cut": -4, "split": _xresnet_split, "stats": _stats()}
