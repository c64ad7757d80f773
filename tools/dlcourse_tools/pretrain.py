"""The offline model: `python -m dlcourse_tools record offline-model [--epochs N] [--out DIR]`.

Task: classify all ten classes of Fashion-MNIST on 30,000 photos drawn by `dlcourse.photos` from items
of its training split (the offline world's ImageNet). The offline lessons fine-tune a new head for five
classes on photos of test-split items, which this model never saw; it does know those classes from
other photos, as ResNet-34 knows dog and cat breeds from ImageNet. Needs the full data set: Debian's
`dataset-fashion-mnist` (or FASHION_MNIST_DIR). The recipe, data and reached accuracy are written next
to the weights; `--lesson-file` also rewrites the lesson images the package ships.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import torch

import dlcourse.fastai_setup  # noqa: F401
from dlcourse import fashion_mnist, photos

RECIPE = {"images": 30000, "valid_images": 2000, "epochs": 2, "lr_max": 1e-2, "batch_size": 128, "seed": 0}


def write_lesson_file(dest: Path = fashion_mnist.LESSON_FILE) -> Path:
    """The lesson classes of the test split, compressed (the file the package ships)."""
    images, labels = fashion_mnist.load_split("test")
    keep = np.isin(labels, fashion_mnist.LESSON_CLASSES)
    np.savez_compressed(dest, images=images[keep], labels=labels[keep], test_index=np.flatnonzero(keep))
    return dest


def _tensors(images: np.ndarray, mean: float, std: float) -> torch.Tensor:
    """RGB uint8 photos (N, H, W, 3) -> normalised float (N, 3, H, W), as the lessons' PNGs load."""
    return torch.from_numpy(images).permute(0, 3, 1, 2).float().div(255).sub(mean).div(std).contiguous()


def pretrain(
    out_dir: Path,
    epochs: int = RECIPE["epochs"],
    seed: int = RECIPE["seed"],
    recipe: photos.PhotoRecipe = photos.PRETRAINING,
    n_train: int = RECIPE["images"],
) -> dict:
    """Train the offline model from random weights on `n_train` photos (the record's recipe by default) and
    write its weights and record into `out_dir`."""
    from fastai.data.core import DataLoaders
    from fastai.learner import Learner
    from fastai.losses import CrossEntropyLossFlat
    from fastai.metrics import accuracy
    from fastai.torch_core import set_seed

    from dlcourse.offline_model import offline_resnet

    set_seed(seed, reproducible=True)
    images, labels = fashion_mnist.load_split("train")
    order = np.random.RandomState(seed).permutation(len(labels))
    used = order[: n_train + RECIPE["valid_images"]]
    start = time.perf_counter()
    pictures = photos.render_all(images[used], used, recipe)
    render_seconds = time.perf_counter() - start
    pixels = pictures[:n_train].astype(np.float32) / 255
    mean, std = float(pixels.mean()), float(pixels.std())
    ys = torch.from_numpy(labels[used].astype(np.int64))
    dls = DataLoaders.from_dsets(
        list(zip(_tensors(pictures[:n_train], mean, std), ys[:n_train], strict=True)),
        list(zip(_tensors(pictures[n_train:], mean, std), ys[n_train:], strict=True)),
        bs=RECIPE["batch_size"],
        num_workers=0,
        device="cpu",
    )
    learn = Learner(
        dls, offline_resnet(pretrained=False, n_out=10), loss_func=CrossEntropyLossFlat(), metrics=accuracy
    )
    start = time.perf_counter()
    with learn.no_bar():
        learn.fit_one_cycle(epochs, RECIPE["lr_max"])
        seconds = time.perf_counter() - start
        _, acc = learn.validate()
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.save(learn.model.state_dict(), out_dir / "offline_resnet.pth")
    record = {
        "task": "classify the ten classes of Fashion-MNIST on photos drawn from items of its training split; "
        "the offline lessons fine-tune on five classes, with photos of test-split items only",
        "data": {
            "source": "Fashion-MNIST (Zalando, MIT licence), Debian package dataset-fashion-mnist",
            "split": "train",
            "classes": fashion_mnist.CLASSES,
            "train": n_train,
            "valid": len(used) - n_train,
        },
        "recipe": {
            **RECIPE,
            "images": n_train,
            "epochs": epochs,
            "arch": "offline_resnet (XResNet, 1 block per stage, widen 0.25)",
            "method": "fastai Learner.fit_one_cycle on normalised tensors",
        },
        "photos": {"drawn_by": "dlcourse.photos.render", **dataclasses.asdict(recipe)},
        "stats": {"mean": [mean] * 3, "std": [std] * 3},
        "valid_accuracy": round(float(acc), 4),
        "train_seconds": round(seconds, 1),
        "render_seconds": round(render_seconds, 1),
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
    parser.add_argument("--lesson-file", action="store_true", help="also rewrite the shipped lesson images")
    args = parser.parse_args(argv)
    if args.lesson_file:
        print("wrote", write_lesson_file())
    record = pretrain(args.out, args.epochs)
    print(json.dumps({k: record[k] for k in ("valid_accuracy", "train_seconds", "parameters")}))


if __name__ == "__main__":
    main()
