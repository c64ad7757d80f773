"""Lesson 11's CNN from scratch: its data, its building block, its model and the size of each layer's output.

The data is the course's own copy of Fashion-MNIST (5,000 test-split items of five classes, shipped with
the package), written as PNG files in the layout of fastai's MNIST download: `training/<class>/` and
`testing/<class>/`, 800 and 200 items of each class. Lessons 11 and 12 use it in both modes: networks this
small train on it in seconds on a CPU, and in minutes on a GPU they would learn nothing more worth showing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image
from torch import nn

from dlcourse import fashion_mnist
from dlcourse.data import data_root, write_folder_once

FOLDER_NAMES = {5: "sandal", 6: "shirt", 7: "sneaker", 8: "bag", 9: "ankle_boot"}
TESTING_PER_CLASS = 200  # of the 1,000 items of each class; the other 800 are for training


def write_fashion_folders(dest: Path) -> Path:
    """The shipped lesson items as 28×28 greyscale PNGs in MNIST's layout, written once."""
    images, labels, test_index = fashion_mnist.lesson_images()
    names = {}
    for label, folder in FOLDER_NAMES.items():
        items = np.flatnonzero(labels == label)
        testing = set(np.random.RandomState(label).permutation(items)[:TESTING_PER_CLASS].tolist())
        for i in items:
            split = "testing" if i in testing else "training"
            names[int(i)] = f"{split}/{folder}/{int(test_index[i]):05d}.png"

    def write(tmp: Path) -> None:
        for i, name in names.items():
            Image.fromarray(images[i]).save(tmp / name)

    return write_folder_once(Path(dest), dict.fromkeys(names.values()), write)


def fashion_path() -> Path:
    """The lesson's Fashion-MNIST folder (`$DLCOURSE_DATA/fashion-mnist-png`), written on first use."""
    return write_fashion_folders(data_root() / "fashion-mnist-png")


def fashion_dataloaders(bs: int = 64, seed: int = 0, path: Path | None = None):
    """Lesson 11's `DataBlock` over `path` (the lesson's folder by default): greyscale images, the class
    from the parent folder, the training and testing folders as the split, normalised batches."""
    from fastai.data.block import CategoryBlock, DataBlock
    from fastai.data.transforms import GrandparentSplitter, Normalize, get_image_files, parent_label
    from fastai.vision.core import PILImageBW
    from fastai.vision.data import ImageBlock

    block = DataBlock(
        blocks=(ImageBlock(cls=PILImageBW), CategoryBlock),
        get_items=get_image_files,
        splitter=GrandparentSplitter(train_name="training", valid_name="testing"),
        get_y=parent_label,
        batch_tfms=Normalize(),
    )
    return block.dataloaders(path or fashion_path(), bs=bs, seed=seed)


def conv(ni: int, nf: int, ks: int = 3, act: bool = True, bn: bool = False) -> nn.Sequential:
    """One stride-2 convolution (halving the width and height), optionally batch norm, then ReLU unless
    `act` is False. With batch norm the convolution has no bias: the norm's own shift replaces it."""
    layers: list[nn.Module] = [nn.Conv2d(ni, nf, ks, stride=2, padding=ks // 2, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(nf))
    if act:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def simple_cnn(n_classes: int, bn: bool = False) -> nn.Sequential:
    """Five stride-2 convolutions, channels doubling from 8 to 64, the last one giving one activation per
    class on a 1×1 map: 28×28 → 14 → 7 → 4 → 2 → 1. The first has a 5×5 kernel, so that it sees 25
    pixels to make 8 channels."""
    return nn.Sequential(
        conv(1, 8, ks=5, bn=bn),
        conv(8, 16, bn=bn),
        conv(16, 32, bn=bn),
        conv(32, 64, bn=bn),
        conv(64, n_classes, act=False, bn=bn),
        nn.Flatten(),
    )


def layer_shapes(model: nn.Sequential, input_shape: tuple[int, ...]) -> pd.DataFrame:
    """Each top-level layer's output shape (one item) and parameter count, for an input of `input_shape`
    (channels, height, width). The model runs in evaluation mode (batch norm cannot take a batch of one
    in training), then goes back to the mode it was in."""
    rows, x, training = [], torch.zeros(1, *input_shape), model.training
    model.eval()
    with torch.no_grad():
        for name, layer in model.named_children():
            x = layer(x)
            rows.append(
                {
                    "layer": name,
                    "output": " × ".join(map(str, x.shape[1:])),
                    "parameters": sum(p.numel() for p in layer.parameters()),
                }
            )
    model.train(training)
    return pd.DataFrame(rows)


def near_zero_share(learn, layer: int = -1) -> list[float]:
    """Per training batch, the share of the watched `layer`'s activations near zero (at most 0.05), as
    fastai's `ActivationStats` counted them (`plot_layer_stats` plots the same numbers)."""
    return [float(v) for v in learn.activation_stats.layer_stats(layer)[2]]
