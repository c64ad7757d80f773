"""Variant makers for the computed questions of quiz 07 (`quiz/07_multi_label.yml`)."""

from __future__ import annotations

import math
import random

import numpy as np

from dlcourse.quiz.bank import Variant

TAGS7 = ["agriculture", "clear", "cloudy", "haze", "primary", "road", "water"]


def _tag_list(tags) -> str:
    return ", ".join(tags) if tags else "none"


def argmax_tag_share(rng: random.Random) -> Variant:
    """The largest share of a batch's true tags that one tag per image (argmax) can find, in percent: the
    lesson's `argmax_tags` on outputs that always rank a true tag first."""
    from dlcourse.multilabel import argmax_tags

    n = rng.choice([8, 16, 32, 64])
    several = rng.randint(n // 4, 3 * n // 4)
    extra = [rng.randint(1, 3) for _ in range(several)]  # tags beyond the first, on images with several
    targets = np.zeros((n, len(TAGS7)))
    for i in range(n):
        count = 1 + (extra[i] if i < several else 0)
        targets[i, rng.sample(range(len(TAGS7)), count)] = 1
    logits = targets + rng.random() * 0.1  # a true tag always scores highest
    found = float((argmax_tags(logits) * targets).sum())
    total = int(targets.sum())
    return Variant(
        {"n": n, "several": several, "t": total},
        round(100 * found / total, 1),
        mistakes={
            "the share of images with one tag": 100 * (n - several) / n,
            "the share of images with several tags": 100 * several / n,
        },
    )


def multilabel_bce(rng: random.Random) -> Variant:
    """Binary cross-entropy (mean over tags) of one image's three logits and targets."""
    from dlcourse.multilabel import binary_cross_entropy_with_logits, sigmoid

    logits = np.array([rng.choice([-3, -2, -1, 1, 2, 3]) for _ in range(3)], dtype=float)
    targets = np.array([rng.randint(0, 1) for _ in range(3)], dtype=float)
    if targets.sum() in (0, 3):
        targets[rng.randrange(3)] = 1 - targets[0]
    p = sigmoid(logits)
    terms = -(targets * np.log(p) + (1 - targets) * np.log(1 - p))
    answer = binary_cross_entropy_with_logits(logits[None], targets[None])
    return Variant(
        {
            "logits": ", ".join(f"{v:g}" for v in logits),
            "targets": ", ".join(str(int(v)) for v in targets),
            "probs": ", ".join(f"{v:.4f}" for v in p),
            "terms": " + ".join(f"{v:.4f}" for v in terms),
        },
        round(answer, 4),
        mistakes={
            "the sum, not the mean": float(terms.sum()),
            "-log(p) for every tag, present or not": float(-np.log(p).mean()),
        },
    )


def multilabel_accuracy(rng: random.Random) -> Variant:
    """accuracy_multi (in percent) of two images' probabilities for four tags at a threshold."""
    from dlcourse.multilabel import accuracy_multi

    while True:
        thresh = rng.choice([0.2, 0.3, 0.4, 0.5])
        probs = np.array(
            [[rng.choice([0.05, 0.1, 0.25, 0.35, 0.45, 0.6, 0.8, 0.95]) for _ in range(4)] for _ in range(2)]
        )
        targets = np.array([[rng.randint(0, 1) for _ in range(4)] for _ in range(2)], dtype=float)
        answer = 100 * accuracy_multi(probs, targets, thresh, sigmoid=False)
        recall = 100 * ((probs > thresh) & (targets == 1)).sum() / max(targets.sum(), 1)
        at_half = 100 * accuracy_multi(probs, targets, 0.5, sigmoid=False)
        if thresh != 0.5 and len({round(answer, 1), round(recall, 1), round(at_half, 1)}) == 3:
            break
    rows = [" ".join(f"{v:.2f}" for v in r) for r in probs]
    ys = [" ".join(str(int(v)) for v in r) for r in targets]
    right = int(((probs > thresh) == targets.astype(bool)).sum())
    return Variant(
        {"thresh": f"{thresh:g}", "p1": rows[0], "p2": rows[1], "y1": ys[0], "y2": ys[1], "right": right},
        round(answer, 1),
        mistakes={"the share of true tags found": recall, "the default threshold 0.5": at_half},
    )


def multilabel_tag_count(rng: random.Random) -> Variant:
    """How many tags one image gets at a threshold below 0.5."""
    while True:
        thresh = rng.choice([0.1, 0.15, 0.2, 0.25, 0.3])
        probs = [rng.choice([0.03, 0.08, 0.12, 0.18, 0.22, 0.28, 0.4, 0.55, 0.7, 0.9]) for _ in TAGS7]
        count = sum(p > thresh for p in probs)
        at_half = sum(p > 0.5 for p in probs)
        if count != at_half and count != 1:
            break
    listing = ", ".join(f"{t} {p:.2f}" for t, p in zip(TAGS7, probs, strict=True))
    chosen = ", ".join(t for t, p in zip(TAGS7, probs, strict=True) if p > thresh)
    return Variant(
        {"thresh": f"{thresh:g}", "listing": listing, "chosen": chosen},
        count,
        mistakes={"the default threshold 0.5": at_half, "one tag per image (argmax)": 1},
    )


def multilabel_sigmoid(rng: random.Random) -> Variant:
    """The sigmoid probability of one logit, and softmax's share when the other tags' logits are given."""
    from dlcourse.multilabel import sigmoid
    from dlcourse.softmax import softmax

    logits = np.array([rng.choice([0.5, 1.0, 1.5, 2.0, 2.5]) for _ in range(3)])
    p = float(sigmoid(logits[0]))
    return Variant(
        {
            "z": f"{logits[0]:g}",
            "others": " and ".join(f"{v:g}" for v in logits[1:]),
            "exp": f"{math.exp(-logits[0]):.4f}",
        },
        round(p, 3),
        mistakes={"softmax over the three tags": float(softmax(logits)[0]), "1 / (1 + e^z)": 1 - p},
    )


def multilabel_fbeta_samples(rng: random.Random) -> Variant:
    """F2 averaged over two images (average='samples', Planet's score), from their tag counts."""
    from dlcourse.multilabel import fbeta

    while True:
        true = [set(rng.sample(TAGS7, rng.randint(1, 3))) for _ in range(2)]
        predicted = [set(rng.sample(TAGS7, rng.randint(1, 3))) for _ in range(2)]
        y = np.array([[t in s for t in TAGS7] for s in true], dtype=float)
        p = np.array([[t in s for t in TAGS7] for s in predicted], dtype=float)
        answer = fbeta(p, y, beta=2, sigmoid=False)
        micro = fbeta(p, y, beta=2, sigmoid=False, average="micro")
        per_image = [fbeta(p[i : i + 1], y[i : i + 1], beta=2, sigmoid=False) for i in range(2)]
        if all(per_image) and abs(answer - micro) > 0.002:
            break
    return Variant(
        {
            "t1": _tag_list(sorted(true[0])),
            "p1": _tag_list(sorted(predicted[0])),
            "t2": _tag_list(sorted(true[1])),
            "p2": _tag_list(sorted(predicted[1])),
            "f1": f"{per_image[0]:.4f}",
            "f2": f"{per_image[1]:.4f}",
        },
        round(answer, 3),
        mistakes={"counts summed over both images first (micro)": micro},
    )
