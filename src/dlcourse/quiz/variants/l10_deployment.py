"""Variant makers for lesson 10's computed questions (deployment): fn(rng) -> Variant(...).

The numbers come from the code the lesson ships: `dlcourse.deploy.PixelsToProbabilities` (the graph the
ONNX file holds), the site model's real normalisation statistics (from its record), torch's softmax and
float32 sums, tensors' real element sizes, and the centre-square rule of the classify page (`classify.js`).
"""

from __future__ import annotations

import random

import torch
from torch import nn

from dlcourse.quiz.bank import Variant
from dlcourse.quiz.variants.common import ARCH_NAMES

SITE_CLASSES = ["Ankle_boot", "Sandal", "Sneaker", "bag", "shirt"]  # the classify page's model


class _Seen(nn.Module):
    """A stand-in network that keeps the tensor it is given and passes it on unchanged."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen = x.detach().clone()
        return x


def _site_stats() -> tuple[list[float], list[float]]:
    """The Normalize statistics of the classify page's model, from its record."""
    from dlcourse.deploy import site_record

    record = site_record()
    return [float(m) for m in record["mean"]], [float(s) for s in record["std"]]


def normalised_pixel(rng: random.Random) -> Variant:
    """The number the network sees for a colour value v: the page's v / 255, then the graph's Normalize."""
    from dlcourse.deploy import PixelsToProbabilities

    mean, std = _site_stats()
    while True:
        v = rng.randint(0, 255)
        spy = _Seen()
        graph = PixelsToProbabilities(spy, torch.tensor(mean), torch.tensor(std)).eval()
        with torch.no_grad():
            graph(torch.full((1, 3, 1, 1), v / 255, dtype=torch.float32))
        seen = float(spy.seen[0, 0, 0, 0])
        m, s = mean[0], std[0]
        once = (v / 255 - m) / s
        mistakes = {
            "forgetting the page's division by 255": (v - m) / s,
            "normalising twice (the page and the graph)": (once - m) / s,
            "stopping at v / 255": v / 255,
        }
        if all(abs(w - seen) > 0.02 for w in mistakes.values()):
            break
    return Variant(
        {
            "v": v,
            "mean": f"{m:.4f}",
            "std": f"{s:.4f}",
            "scaled": f"{v / 255:.4f}",
        },
        round(seen, 4),
        mistakes=mistakes,
    )


def page_input_bytes(rng: random.Random) -> Variant:
    """Bytes of the float32 input tensor (images, 3, size, size) for n photos."""
    n, size = rng.choice([1, 4, 8, 16, 32]), rng.choice([28, 64, 128, 224])
    pixels = torch.zeros(n, 3, size, size, dtype=torch.float32, device="meta")
    answer = pixels.nelement() * pixels.element_size()
    rgba = torch.zeros(n, size, size, 4, dtype=torch.uint8, device="meta")
    return Variant(
        {
            "n": n,
            "photos": f"{n} photo" if n == 1 else f"{n} photos",
            "size": size,
            "numbers": f"{pixels.nelement():,}",
            "total": f"{answer:,}",
        },
        answer,
        mistakes={
            "forgetting the three colour channels": n * size * size * 4,
            "one byte per number, as the photo's colour values are stored": pixels.nelement(),
            "counting the canvas's four RGBA channels": rgba.nelement() * 4,
        },
    )


def top_class_percent(rng: random.Random) -> Variant:
    """The percentage the page shows for the likeliest class, from the network's five scores."""
    while True:
        scores = [round(rng.uniform(-1.0, 4.0), 1) for _ in SITE_CLASSES]
        top = max(range(len(scores)), key=scores.__getitem__)
        if sorted(scores)[-2] == scores[top] or min(scores) <= 0:
            continue
        probs = torch.softmax(torch.tensor(scores, dtype=torch.float64), dim=0)
        answer = 100 * float(probs[top])
        mistakes = {
            "scores divided by their sum": 100 * scores[top] / sum(scores),
            "the fraction, not the percentage": float(probs[top]),
            "e to the top score alone": float(torch.exp(torch.tensor(scores[top], dtype=torch.float64))),
        }
        if all(abs(w - answer) > 0.5 for w in mistakes.values()):
            break
    exps = torch.exp(torch.tensor(scores, dtype=torch.float64))
    return Variant(
        {
            "scores": ", ".join(f"{c} {s:g}" for c, s in zip(SITE_CLASSES, scores, strict=True)),
            "top": SITE_CLASSES[top],
            "exps": " + ".join(f"{float(e):.3f}" for e in exps),
            "total": f"{float(exps.sum()):.3f}",
            "top_exp": f"{float(exps[top]):.3f}",
            "fraction": f"{answer / 100:.4f}",
            "shown": f"{answer:.1f}",  # classify.js: (100 * p).toFixed(1)
        },
        round(answer, 4),
        mistakes=mistakes,
    )


def model_megabytes(rng: random.Random) -> Variant:
    """MB (10^6 bytes) of a ResNet's weights for n classes, stored in float32 or in float16."""
    from torchvision import models

    arch, n_classes = rng.choice(list(ARCH_NAMES)), rng.choice([2, 5, 10, 37])
    with torch.device("meta"):  # shapes only: nothing is allocated or initialised
        params = sum(p.numel() for p in getattr(models, arch)(num_classes=n_classes).parameters())
    dtype, other = rng.choice([(torch.float32, torch.float16), (torch.float16, torch.float32)])
    size = torch.empty(0, dtype=dtype).element_size()
    other_size = torch.empty(0, dtype=other).element_size()
    return Variant(
        {
            "arch": ARCH_NAMES[arch],
            "n_classes": n_classes,
            "params": f"{params:,}",
            "dtype": str(dtype).removeprefix("torch."),
            "bytes": size,
            "total": f"{params * size:,}",
        },
        params * size / 1e6,
        mistakes={
            f"{other_size} bytes a weight ({str(other).removeprefix('torch.')})": params * other_size / 1e6,
            "MiB (2^20 bytes)": params * size / 2**20,
            "the bits, not the bytes": params * size * 8 / 1e6,
        },
    )


PHOTOS = [(4032, 3024), (3024, 4032), (1920, 1080), (1080, 1920), (640, 480), (800, 533), (1366, 768)]


def centre_square_offset(rng: random.Random) -> Variant:
    """Where the page's centre square starts in a photo: (long side - short side) / 2, as classify.js
    computes it for `drawImage` (fractions allowed)."""
    width, height = rng.choice(PHOTOS)
    side = min(width, height)
    x, y = (width - side) / 2, (height - side) / 2
    edge, offset = ("left", x) if width > height else ("top", y)
    longer = max(width, height)
    return Variant(
        {"w": width, "h": height, "edge": edge, "side": side, "longer": longer},
        offset,
        mistakes={
            "the whole difference, not half of it": longer - side,
            "the photo's centre, not the square's edge": longer / 2,
            "half the short side": side / 2,
        },
    )


def float32_sum_order(rng: random.Random) -> Variant:
    """(a + b) + c in float32, where adding in another order gives another result. Only draws where no
    sum falls halfway between two float32 numbers, so that rounding to the nearest is never a tie."""

    def tie(x: int, spacing: int) -> bool:
        return x % spacing == spacing // 2

    while True:
        k = rng.choice([24, 25, 26])
        spacing = 2 ** (k - 23)  # the gap between neighbouring float32 numbers in [2^k, 2^(k+1))
        a = 2**k + spacing * rng.randint(0, 50)
        b, c = rng.randint(1, 3 * spacing), rng.randint(1, 3 * spacing)
        f = torch.tensor([a, b, c], dtype=torch.float32)
        first = int((f[0] + f[1]).item())
        left = int(((f[0] + f[1]) + f[2]).item())
        right = int((f[0] + (f[1] + f[2])).item())
        if tie(a + b, spacing) or tie(first + c, spacing) or tie(a + b + c, spacing):
            continue
        if left != right and left != a + b + c:
            break
    return Variant(
        {
            "a": f"{a:,}",
            "b": b,
            "c": c,
            "k": k,
            "k1": k + 1,
            "spacing": spacing,
            "exact": f"{a + b + c:,}",
            "ab": f"{a + b:,}",
            "first": f"{first:,}",
            "firstc": f"{first + c:,}",
            "bc": b + c,
            "right": f"{right:,}",
            "left": f"{left:,}",
        },
        left,
        mistakes={"exact arithmetic": a + b + c, "adding b and c first": right},
    )
