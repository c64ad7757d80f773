"""The small pretrained model bundled for offline mode: a narrow XResNet (fastai's own architecture).

Its weights come from `python -m dlcourse_tools record offline-model` (Fashion-MNIST's ten classes, on
its training split; the offline lessons use test-split images only) and ship in `dlcourse/weights/`.
Registered in fastai's `model_meta`, so `vision_learner(dls, offline_resnet)` cuts, splits, normalises
and freezes it like a ResNet."""

from __future__ import annotations

import json

from fastai.layers import ResBlock
from fastai.vision.learner import _xresnet_split, model_meta
from fastai.vision.models.xresnet import XResNet

from dlcourse.bundled import WEIGHTS_DIR, damaged, load_weights

WEIGHTS = WEIGHTS_DIR / "offline_resnet.pth"
RECORD = WEIGHTS_DIR / "offline_resnet.json"
PRETRAIN_CLASSES = 10


def offline_resnet(pretrained: bool = False, n_out: int = PRETRAIN_CLASSES) -> XResNet:
    """A 5-stage XResNet about 1 MB in size; `pretrained` loads the bundled weights."""
    model = XResNet(ResBlock, 1, [1, 1, 1, 1], c_in=3, n_out=n_out, stem_szs=(16, 16, 64), widen=0.25)
    if pretrained:
        state = load_weights(WEIGHTS)
        try:
            model.load_state_dict(state)
        except RuntimeError as err:  # other layers or shapes: not the file this package shipped
            raise damaged(WEIGHTS, str(err).splitlines()[0]) from err
    return model


def pretraining_record() -> dict:
    """The recipe, data and accuracy of the run that produced the bundled weights."""
    try:
        record = json.loads(RECORD.read_text())
        stats = record["stats"]
        if not all(len(stats[k]) == 3 for k in ("mean", "std")):
            raise ValueError("stats need three means and three standard deviations")
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise damaged(RECORD, err) from err
    return record


class _Meta(dict):
    """fastai's `model_meta` entry; the normalisation stats are read from the record when a learner is
    made, so a damaged record gives its own clear error there and never breaks `import`."""

    def __getitem__(self, key):
        return self.get(key) if key == "stats" else super().__getitem__(key)

    def get(self, key, default=None):
        if key == "stats":
            stats = pretraining_record()["stats"]
            return stats["mean"], stats["std"]
        return super().get(key, default)


model_meta[offline_resnet] = _Meta(cut=-4, split=_xresnet_split)


def pretraining_paragraph() -> str:
    """The Offline-mode page's description of the bundled model, from its record."""
    record = pretraining_record()
    recipe, drawn = record["recipe"], record["photos"]
    return (
        f"`dlcourse/weights/offline_resnet.pth` ({WEIGHTS.stat().st_size / 1e6:.1f} MB) is a narrow XResNet "
        f"(fastai's own architecture: one residual block per stage, a quarter of the usual width, "
        f"{record['parameters']:,} parameters). It was trained on "
        f"{record['data']['train']:,} photos drawn from training-split items, all ten classes, by the same "
        f"recipe as the lesson photos ({drawn['canvas']} pixels, items turned up to {drawn['rotate']:g}°, "
        f"mirrored half the time, on textured backgrounds; its own random choices, seed {drawn['seed']}): "
        f"{recipe['epochs']} epochs of `fit_one_cycle` at `lr_max={recipe['lr_max']:g}`, batch size "
        f"{recipe['batch_size']}, seed {recipe['seed']}, in {record['train_seconds']:.0f} s on a CPU, "
        f"reaching {100 * record['valid_accuracy']:.1f} % accuracy on {record['data']['valid']:,} other "
        f"training-split photos (all ten classes). The run's record, `offline_resnet.json`, gives the whole "
        f"photo recipe and the data statistics used for normalisation; the weights load with "
        f"`torch.load(..., weights_only=True)`."
    )
