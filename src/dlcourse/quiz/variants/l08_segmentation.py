"""Variant makers for the computed questions of quiz 08 (`quiz/08_segmentation.yml`)."""

from __future__ import annotations

import math
import random

import numpy as np

from dlcourse.quiz.bank import Variant
from dlcourse.quiz.variants.common import _grid

CODES8 = ["Background", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot", "Void"]  # the lesson's codes.txt


VOID8 = CODES8.index("Void")


def _one_hot_logits(predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """Logits (1, classes, H, W) whose argmax over the classes is `predicted` (H, W)."""
    return (np.arange(n_classes)[:, None, None] == predicted[None]).astype(float)[None]


def _code_list(values) -> str:
    return ", ".join(f"{v} {CODES8[v]}" for v in sorted({int(x) for x in np.ravel(values)}))


def _mask_pair(true: np.ndarray, predicted: np.ndarray) -> dict[str, str]:
    """A question's true and predicted masks as grids, with the codes that appear in either."""
    return {
        "codes": _code_list(np.concatenate([true.ravel(), predicted.ravel()])),
        "true": _grid(true),
        "predicted": _grid(predicted),
    }


def segmentation_void_accuracy(rng: random.Random) -> Variant:
    """Accuracy without Void (percent) of a predicted 4×4 mask against the true one, as the lesson's
    `void_excluded_accuracy` (and fastai's `foreground_acc` with `bkg_idx` = Void) computes it."""
    from dlcourse.segmentation import void_excluded_accuracy

    classes = [0, 2, 4]  # Background, Shirt, Bag
    while True:
        true = np.array([rng.choice(classes + [0, VOID8]) for _ in range(16)]).reshape(4, 4)
        predicted = np.array(
            [
                t if t != VOID8 and rng.random() < 0.7 else rng.choice([c for c in classes if c != t])
                for t in true.ravel()
            ]
        ).reshape(4, 4)
        n_void = int((true == VOID8).sum())
        scored = 16 - n_void
        right = int(((predicted == true) & (true != VOID8)).sum())
        if not 2 <= n_void <= 5 or right in (0, scored):
            continue
        answer = 100 * void_excluded_accuracy(_one_hot_logits(predicted, len(CODES8)), true[None], VOID8)
        mistakes = {
            "Void pixels counted, as wrong": 100 * right / 16,
            "Void pixels counted, as right": 100 * (right + n_void) / 16,
        }
        if all(abs(answer - m) > 0.5 for m in mistakes.values()):
            break
    return Variant(
        {
            **_mask_pair(true, predicted),
            "n_void": n_void,
            "scored": scored,
            "right": right,
        },
        round(answer, 1),
        mistakes=mistakes,
    )


def segmentation_baseline(rng: random.Random) -> Variant:
    """The accuracy without Void (percent) of a model that answers the commonest class everywhere, from
    the pixel counts of a set of masks, as the lesson's `pixel_shares` computes it from the mask files."""
    import tempfile
    from pathlib import Path

    from PIL import Image

    from dlcourse.segmentation import pixel_shares

    n_masks = rng.choice([10, 20, 40])
    total = n_masks * 56 * 56
    void = 56 * rng.randint(total // 56 // 12, total // 56 // 6)  # 8 to 17 % Void
    objects = [56 * rng.randint(total // 56 // 60, total // 56 // 18) for _ in CODES8[1:-1]]
    counts = [total - void - sum(objects), *objects, void]
    mask = np.repeat(np.arange(len(CODES8), dtype=np.uint8), counts).reshape(56, -1)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "labels").mkdir()
        Image.fromarray(mask).save(Path(folder) / "labels" / "all_P.png")
        shares = pixel_shares(Path(folder), CODES8)
    best = shares.loc[shares["share without Void"].idxmax()]
    scored = total - void
    return Variant(
        {
            "n_masks": n_masks,
            "counts": ", ".join(f"{c} {n:,}" for c, n in zip(CODES8, counts, strict=True)),
            "total": f"{total:,}",
            "scored": f"{scored:,}",
            "commonest": best["class"],
            "best": f"{int(best['pixels']):,}",
        },
        round(100 * float(best["share without Void"]), 1),
        mistakes={
            "Void counted in the total": 100 * counts[0] / total,
            "one class in seven, a random guess": 100 / 7,
        },
    )


SEG_SETS = [("the lesson's scenes", 7, 56, 56), ("CamVid", 32, 360, 480), ("CamVid", 32, 720, 960)]
SEG_SETS += [("a medical data set", 4, 256, 256), ("a satellite data set", 12, 128, 128)]


def segmentation_output_numbers(rng: random.Random) -> Variant:
    """How many numbers a U-Net outputs for one image: one per class (Void included) per pixel, the shape
    of its last layer's output, found with a 1×1 convolution to as many channels as codes (on `meta`,
    shapes only)."""
    import torch

    name, n_codes, height, width = rng.choice(SEG_SETS)
    last = torch.nn.Conv2d(48, n_codes, kernel_size=1, device="meta")  # as the lesson's last ConvLayer
    out = last(torch.empty(1, 48, height, width, device="meta"))
    return Variant(
        {
            "name": name,
            "n_codes": n_codes,
            "h": height,
            "w": width,
            "shape": tuple(out.shape[1:]),
            "count": f"{out[0].numel():,}",
        },
        out[0].numel(),
        mistakes={
            "one number per pixel, the class": height * width,
            "no output for Void": (n_codes - 1) * height * width,
            "three per pixel, as the input": 3 * height * width,
        },
    )


def unet_block_channels(rng: random.Random) -> Variant:
    """Channels out of a fastai `UnetBlock` in the middle of the decoder (not the last), run on zeros."""
    import torch
    from fastai.vision.models.unet import UnetBlock

    up_c, x_c, h = rng.choice([128, 256, 512]), rng.choice([32, 64, 128, 256]), rng.choice([2, 4, 7])

    class Stored:  # what fastai's hook on the encoder layer holds: that layer's output
        stored = torch.zeros(1, x_c, 2 * h, 2 * h)

    block = UnetBlock(up_c, x_c, Stored(), final_div=True).eval()
    with torch.no_grad():
        out = block(torch.zeros(1, up_c, h, h))
    return Variant(
        {"up_c": up_c, "x_c": x_c, "h": h, "h2": 2 * h, "half": up_c // 2, "shape": tuple(out.shape[1:])},
        int(out.shape[1]),
        mistakes={
            "no halving in the upsampling": up_c + x_c,
            "forgetting the skip": up_c // 2,
            "halving after the concatenation": (up_c // 2 + x_c) // 2,
        },
    )


def unet_skip_layer(rng: random.Random) -> Variant:
    """Which encoder layer DynamicUnet takes a skip connection from, at a given size: the last layer
    before the size changes (fastai's own `_get_sz_change_idxs`)."""
    from fastai.vision.models.unet import _get_sz_change_idxs

    while True:
        size = rng.choice([56, 64, 128, 224, 256])
        n_stem = rng.choice([1, 2, 3])  # convolutions, norms, activations at size / 2
        sizes = [size // 2] * n_stem + [size // 4, size // 4]  # a max pool, then a stage that keeps size
        while len(sizes) < n_stem + 5:
            sizes.append(math.ceil(sizes[-1] / 2))  # each further stage halves (7 → 4)
        skips = [int(i) for i in _get_sz_change_idxs([(s, s) for s in sizes])]
        asked = rng.choice(skips)
        first = sizes.index(sizes[asked])
        if first != asked:
            break
    return Variant(
        {
            "size": size,
            "layers": ", ".join(f"{i}: {s}×{s}" for i, s in enumerate(sizes)),
            "s": sizes[asked],
            "next": sizes[asked + 1],
            "skips": ", ".join(map(str, skips)),
        },
        asked,
        mistakes={"the first layer of that size": first, "the first layer after the shrink": asked + 1},
    )


def pixel_cross_entropy(rng: random.Random) -> Variant:
    """fastai's loss for masks, `CrossEntropyLossFlat(axis=1)`, on a 1×2 image with three classes."""
    import torch
    from fastai.losses import CrossEntropyLossFlat

    names = ["Background", "Shirt", "Bag"]
    while True:
        logits = np.array([[rng.randint(-1, 3) for _ in range(2)] for _ in range(3)], dtype=float)
        target = [rng.randrange(3), rng.randrange(3)]
        probs = np.exp(logits) / np.exp(logits).sum(axis=0)
        p = np.array([probs[t, j] for j, t in enumerate(target)])
        if (p < 0.8).all() and len(set(logits[:, 0])) > 1 and len(set(logits[:, 1])) > 1:
            break
    loss = CrossEntropyLossFlat(axis=1)(
        torch.tensor(logits[None, :, None, :]), torch.tensor([[target]], dtype=torch.long)
    )
    across = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)  # softmax over the pixels
    wrong_axis = -np.mean([np.log(across[t, j]) for j, t in enumerate(target)])
    return Variant(
        {
            "pixels": "; ".join(
                f"Pixel {j + 1}: scores {', '.join(f'{names[c]} {logits[c, j]:g}' for c in range(3))}, "
                f"true class {names[t]}"
                for j, t in enumerate(target)
            ),
            "p": " and ".join(f"{v:.4g}" for v in p),
            "terms": " and ".join(f"{-math.log(v):.4f}" for v in p),
        },
        round(float(loss), 4),
        mistakes={
            "the sum over pixels, not the mean": float(-np.log(p).sum()),
            "softmax over the pixels": float(wrong_axis),
        },
    )


def segmentation_class_recall(rng: random.Random) -> Variant:
    """The share (percent) of one class's true pixels that the model predicts as that class: the
    lesson's `per_class_accuracy` ('predicted right') for that class."""
    from dlcourse.segmentation import per_class_accuracy

    classes = [0, 2, 4]  # Background, Shirt, Bag
    while True:
        true = np.array([rng.choice([0, 0, 2, 2, 4]) for _ in range(25)]).reshape(5, 5)
        predicted = np.array(
            [t if rng.random() < 0.65 else rng.choice([c for c in classes if c != t]) for t in true.ravel()]
        ).reshape(5, 5)
        asked = rng.choice([2, 4])
        found = int(((true == asked) & (predicted == asked)).sum())
        n_true, n_predicted = int((true == asked).sum()), int((predicted == asked).sum())
        if not found or found == n_true or n_true == n_predicted:
            continue
        table = per_class_accuracy(_one_hot_logits(predicted, len(CODES8)), true[None], CODES8)
        answer = 100 * float(table.loc[table["class"] == CODES8[asked], "predicted right"].iloc[0])
        mistakes = {
            "the share of the pixels predicted as the class that are right (precision)": 100
            * found
            / n_predicted,
            "the accuracy over all pixels": 100 * float((true == predicted).mean()),
        }
        if all(abs(answer - m) > 0.5 for m in mistakes.values()):
            break
    return Variant(
        {
            **_mask_pair(true, predicted),
            "cls": CODES8[asked],
            "k": asked,
            "n_true": n_true,
            "found": found,
        },
        round(answer, 1),
        mistakes=mistakes,
    )
