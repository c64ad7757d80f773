"""Produce the bundled pretrained model: `python -m dlcourse.pretrain [--epochs N] [--out DIR]`.

Task: classify all ten handwritten digits on the even-numbered half of scikit-learn's real digits.
The offline lessons fine-tune a new head for digits 5-9 on the odd-numbered half, images this model
never saw: a related dataset and a different label set, as ImageNet is for Pets. The recipe, data
and reached accuracy are written next to the weights.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import dlcourse.fastai_setup  # noqa: F401
from dlcourse.data import OFFLINE, PRETRAIN_DIGITS, PRETRAIN_HALF, data_root, write_digits

RECIPE = {"epochs": 12, "lr_max": 1e-2, "batch_size": 64, "seed": 0, "valid_pct": 0.2, "size": 32}


def pretrain(out_dir: Path, epochs: int = RECIPE["epochs"], seed: int = RECIPE["seed"]) -> dict:
    from fastai.learner import Learner
    from fastai.losses import CrossEntropyLossFlat
    from fastai.metrics import accuracy
    from fastai.torch_core import set_seed
    from fastai.vision.augment import Resize, aug_transforms
    from fastai.vision.data import ImageDataLoaders, Normalize

    from dlcourse.data import BREED_PATTERN, image_files
    from dlcourse.offline_model import offline_resnet

    set_seed(seed, reproducible=True)
    path = write_digits(data_root() / "digits-0-9-even", PRETRAIN_DIGITS, PRETRAIN_HALF)
    files = image_files(path)
    pixels = torch.stack([torch.from_numpy(np.array(Image.open(f))) for f in files]).float().div(255)
    mean, std = pixels.mean((0, 1, 2)).tolist(), pixels.std((0, 1, 2)).tolist()
    dls = ImageDataLoaders.from_name_re(
        path,
        files,
        BREED_PATTERN,
        valid_pct=RECIPE["valid_pct"],
        seed=seed,
        item_tfms=Resize(OFFLINE.item_size),
        batch_tfms=[
            *aug_transforms(size=OFFLINE.size, min_scale=0.75, do_flip=False),
            Normalize.from_stats(mean, std),
        ],
        bs=RECIPE["batch_size"],
        num_workers=0,
    )
    learn = Learner(
        dls,
        offline_resnet(pretrained=False, n_out=len(dls.vocab)),
        loss_func=CrossEntropyLossFlat(),
        metrics=accuracy,
    )
    start = time.perf_counter()
    learn.fit_one_cycle(epochs, RECIPE["lr_max"])
    seconds = time.perf_counter() - start
    _, acc = learn.validate()
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.save(learn.model.state_dict(), out_dir / "offline_resnet.pth")
    record = {
        "task": "classify digits 0-9 on the even-numbered half of scikit-learn's handwritten digits; "
        "the offline lessons fine-tune on digits 5-9 of the odd-numbered half",
        "data": {
            "source": "sklearn.datasets.load_digits",
            "digits": list(PRETRAIN_DIGITS),
            "half": "even-numbered images",
            "images": len(files),
            "train": len(dls.train_ds),
            "valid": len(dls.valid_ds),
            "vocab": list(dls.vocab),
        },
        "recipe": {
            **RECIPE,
            "epochs": epochs,
            "arch": "offline_resnet (XResNet, 1 block per stage, widen 0.25)",
            "method": "fastai Learner.fit_one_cycle, aug_transforms(min_scale=0.75, no flip)",
        },
        "stats": {"mean": mean, "std": std},
        "valid_accuracy": round(float(acc), 4),
        "train_seconds": round(seconds, 1),
        "parameters": sum(p.numel() for p in learn.model.parameters()),
        "torch": torch.__version__,
    }
    (out_dir / "offline_resnet.json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def main(argv: list[str] | None = None) -> None:
    from dlcourse.offline_model import WEIGHTS_DIR

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=RECIPE["epochs"])
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR)
    args = parser.parse_args(argv)
    record = pretrain(args.out, args.epochs)
    print(json.dumps({k: record[k] for k in ("valid_accuracy", "train_seconds", "parameters")}))


if __name__ == "__main__":
    main()
