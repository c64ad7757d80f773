"""Lesson 8's exercises: accuracy without Void, each class's share found, the Dice coefficient.
References: fastai's `foreground_acc` and `Dice`, scikit-learn's `recall_score`."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch

from dlcourse.exercises.core import Case, Exercise, Mistake, as_array, compare_values, is_numeric


def _logits(predicted, seed: int = 0, n_classes: int | None = None) -> torch.Tensor:
    """Class scores (N, C, H, W) whose largest score at each pixel is the class in `predicted` (N, H, W)."""
    predicted = torch.as_tensor(np.asarray(predicted), dtype=torch.int64)
    n_classes = n_classes or int(predicted.max()) + 1
    noise = torch.as_tensor(
        np.random.default_rng(seed).normal(size=(predicted.shape[0], n_classes, *predicted.shape[1:]))
    )
    bump = torch.nn.functional.one_hot(predicted, n_classes).permute(0, 3, 1, 2) * 4.0
    return (noise.clamp(-1.5, 1.5) + bump).float()


def _targets(values) -> torch.Tensor:
    return torch.as_tensor(np.asarray(values), dtype=torch.int64)


# --- accuracy without Void ---------------------------------------------------------------------------------


def _fastai_foreground_acc(logits: torch.Tensor, targets: torch.Tensor, void_code: int) -> float:
    from fastai.metrics import foreground_acc

    return float(foreground_acc(logits, targets, bkg_idx=void_code))


def _void_cases() -> list[Case]:
    rng = np.random.default_rng(8)
    truth = [[[0, 1, 2], [2, 1, 0]]]  # one 2×3 scene; Void is class 2
    guess = [[[0, 0, 2], [1, 1, 0]]]
    two_truth = [[[0, 3, 3, 1], [1, 1, 0, 3]], [[3, 3, 3, 2], [3, 3, 0, 0]]]
    two_guess = [[[0, 1, 2, 1], [1, 0, 0, 2]], [[1, 3, 3, 2], [2, 3, 0, 1]]]
    random_truth = rng.integers(0, 7, size=(4, 6, 7))
    random_guess = np.where(rng.random((4, 6, 7)) < 0.6, random_truth, rng.integers(0, 7, size=(4, 6, 7)))
    camvid_truth = rng.integers(0, 32, size=(2, 5, 8))
    camvid_guess = np.where(rng.random((2, 5, 8)) < 0.5, camvid_truth, rng.integers(0, 32, size=(2, 5, 8)))
    return [
        Case(
            "one 2×3 scene, 3 classes, Void = 2: one Void pixel guessed wrong",
            (_logits(guess, 1, 3), _targets(truth), 2),
        ),
        Case(
            "no Void pixel at all: every pixel is scored",
            (_logits([[[0, 1], [1, 1], [0, 0]]], 2, 3), _targets([[[0, 1], [0, 1], [1, 0]]]), 2),
        ),
        Case(
            "the model answers Void where the truth is a class: that pixel is wrong",
            (_logits([[[2, 2, 1], [0, 2, 2]]], 3, 3), _targets([[[2, 0, 1], [0, 1, 2]]]), 2),
        ),
        Case(
            "two scenes with different numbers of Void pixels; Void = 3",
            (_logits(two_guess, 4, 4), _targets(two_truth), 3),
        ),
        Case("Void is class 0 here", (_logits(guess, 5, 3), _targets(truth), 0)),
        Case(
            "4 random 6×7 scenes with the offline scenes' 7 codes, Void = 6",
            (_logits(random_guess, 6, 7), _targets(random_truth), 6),
        ),
        Case(
            "2 random 5×8 scenes with CamVid's 32 codes, Void = 31",
            (_logits(camvid_guess, 7, 32), _targets(camvid_truth), 31),
        ),
    ]


VOID_ACCURACY = Exercise(
    id="08.void_accuracy",
    title="Accuracy without the Void pixels",
    function="void_accuracy",
    prompt=(
        "Write `void_accuracy(logits, targets, void_code)`: the pixel accuracy of a segmentation model, "
        "leaving out the pixels whose **true** class is Void. `logits` is a float tensor of shape "
        "(N, C, H, W): N scenes, one score per class for every pixel. `targets` is an integer tensor of "
        "shape (N, H, W) holding each pixel's true class, 0 to C − 1. `void_code` is the class number of "
        "Void. The predicted class of a pixel is the class with the largest score. Return, as a Python "
        "`float`, the share of the non-Void pixels whose predicted class is their true class, every such "
        "pixel of every scene counted once. A pixel where the model answers Void but the truth is "
        "another class is scored, and wrong. The check compares your result with fastai's "
        "`foreground_acc(logits, targets, bkg_idx=void_code)`."
    ),
    starter='''def void_accuracy(logits, targets, void_code):
    """logits: (N, C, H, W); targets: (N, H, W). Accuracy over the pixels whose true class is not Void."""
    raise NotImplementedError
''',
    solution='''def void_accuracy(logits, targets, void_code):
    """logits: (N, C, H, W); targets: (N, H, W). Accuracy over the pixels whose true class is not Void."""
    predicted = logits.argmax(dim=1)  # the classes are axis 1: (N, C, H, W) -> (N, H, W)
    scored = targets != void_code  # decided by the truth, not by the prediction
    right = predicted[scored] == targets[scored]  # one entry per scored pixel, all scenes together
    return right.float().mean().item()
''',
    hints=(
        "First turn the scores into one predicted class per pixel. The classes are the second axis of "
        "`logits`, so the result has the shape of `targets`.",
        "Which pixels count is decided by the truth alone: build a boolean mask `targets != void_code`. "
        "Indexing a tensor with that mask keeps the scored pixels of all scenes in one flat tensor.",
        "`predicted = logits.argmax(dim=1)`, `scored = targets != void_code`, then the mean of "
        "`predicted[scored] == targets[scored]` as floats, and `.item()` for a Python number.",
    ),
    reference=_fastai_foreground_acc,
    cases=_void_cases,
    mistakes=(
        Mistake(
            "Your result counts the Void pixels too. They have no right answer: keep only the pixels "
            "where `targets != void_code` before you compare.",
            """def void_accuracy(logits, targets, void_code):
    return (logits.argmax(dim=1) == targets).float().mean().item()
""",
        ),
        Mistake(
            "You left out the pixels the model *predicted* as Void. Which pixels are scored depends on the "
            "truth only: a pixel whose true class is Void is left out, and a pixel the model wrongly calls "
            "Void is scored as wrong.",
            """def void_accuracy(logits, targets, void_code):
    predicted = logits.argmax(dim=1)
    keep = predicted != void_code
    return (predicted[keep] == targets[keep]).float().mean().item()
""",
        ),
        Mistake(
            "This is the mean of each scene's own accuracy. Scenes have different numbers of non-Void "
            "pixels, so count every scored pixel of every scene once and take one mean over all of them.",
            """def void_accuracy(logits, targets, void_code):
    predicted = logits.argmax(dim=1)
    scores = []
    for p, t in zip(predicted, targets):
        keep = t != void_code
        scores.append((p[keep] == t[keep]).float().mean().item())
    return sum(scores) / len(scores)
""",
        ),
    ),
)


# --- each class's share found ------------------------------------------------------------------------------


def _sklearn_recall(logits: torch.Tensor, targets: torch.Tensor) -> np.ndarray:
    from sklearn.metrics import recall_score

    n_classes = logits.shape[1]
    predicted = logits.argmax(dim=1).numpy().ravel()
    return recall_score(
        targets.numpy().ravel(), predicted, labels=list(range(n_classes)), average=None, zero_division=np.nan
    )


def _compare_with_nan(expected, received, rtol: float, atol: float) -> str:
    """As `compare_values`, where NaN in both at the same place counts as equal."""
    if is_numeric(expected) and is_numeric(received):
        want, got = as_array(expected).astype(float), as_array(received).astype(float)
        if want.shape == got.shape and np.array_equal(np.isnan(want), np.isnan(got)):
            known = ~np.isnan(want)
            if np.allclose(got[known], want[known], rtol=rtol, atol=atol):
                return ""
    return compare_values(expected, received, rtol, atol)


def _class_cases() -> list[Case]:
    rng = np.random.default_rng(18)
    random_truth = rng.integers(0, 7, size=(3, 6, 6))
    random_guess = np.where(rng.random((3, 6, 6)) < 0.55, random_truth, rng.integers(0, 7, size=(3, 6, 6)))
    mostly_background = np.where(rng.random((2, 8, 8)) < 0.8, 0, rng.integers(1, 5, size=(2, 8, 8)))
    guess_background = np.where(rng.random((2, 8, 8)) < 0.7, 0, rng.integers(0, 5, size=(2, 8, 8)))
    return [
        Case(
            "one 2×3 scene, 3 classes",
            (_logits([[[0, 0, 2], [1, 1, 0]]], 1, 3), _targets([[[0, 1, 2], [2, 1, 0]]])),
        ),
        Case(
            "class 2 is predicted but never true: it has no pixels to find",
            (_logits([[[0, 2, 1], [1, 1, 0]]], 2, 3), _targets([[[0, 1, 1], [1, 0, 0]]])),
        ),
        Case(
            "class 1 is true once and never predicted",
            (
                _logits([[[0, 0], [2, 2]], [[0, 2], [2, 0]]], 3, 3),
                _targets([[[0, 1], [2, 2]], [[0, 2], [0, 0]]]),
            ),
        ),
        Case(
            "3 random 6×6 scenes with the offline scenes' 7 codes",
            (_logits(random_guess, 4, 7), _targets(random_truth)),
        ),
        Case(
            "2 scenes that are mostly background, 5 classes",
            (_logits(guess_background, 5, 5), _targets(mostly_background)),
        ),
    ]


CLASS_ACCURACY = Exercise(
    id="08.class_accuracy",
    title="How much of each class is found",
    function="class_accuracy",
    prompt=(
        "Write `class_accuracy(logits, targets)`: for each class, the share of its pixels that the model "
        "predicted as that class (the lesson's column *predicted right*). `logits` is a float tensor of "
        "shape (N, C, H, W), `targets` an integer tensor of shape (N, H, W) with the true classes 0 to "
        "C − 1; the predicted class of a pixel is the one with the largest score. Count the pixels of all "
        "N scenes together. Return a NumPy array of C floats, entry `c` for class `c` (Void included, as "
        "any other class). A class with no pixel in `targets` has nothing to find: its entry is `np.nan`. "
        "The check compares your result with scikit-learn's `recall_score(y_true, y_pred, "
        "labels=range(C), average=None, zero_division=np.nan)` on the flattened true and predicted classes."
    ),
    starter='''def class_accuracy(logits, targets):
    """logits: (N, C, H, W); targets: (N, H, W). For each class c, the share of its pixels predicted as c."""
    raise NotImplementedError
''',
    solution='''import numpy as np


def class_accuracy(logits, targets):
    """logits: (N, C, H, W); targets: (N, H, W). For each class c, the share of its pixels predicted as c."""
    predicted = logits.argmax(dim=1)  # (N, H, W)
    shares = []
    for c in range(logits.shape[1]):
        here = targets == c  # the pixels that truly are class c: the denominator
        if here.any():
            shares.append((predicted[here] == c).float().mean().item())
        else:
            shares.append(np.nan)  # nothing to find, so no share
    return np.array(shares)
''',
    hints=(
        "Predict a class per pixel with `logits.argmax(dim=1)`, then treat one class at a time: the "
        "number of classes is `logits.shape[1]`.",
        "For class `c`, start from the pixels that *truly* are `c` (`targets == c`) and ask how many of "
        "them were predicted as `c`. Starting from the pixels predicted as `c` gives another number "
        "(precision).",
        "`here = targets == c`; if `here.any()`, the share is `(predicted[here] == c).float().mean()`, "
        "else `np.nan`. Collect the C shares in `np.array`.",
    ),
    reference=_sklearn_recall,
    cases=_class_cases,
    mistakes=(
        Mistake(
            "You divided by the pixels *predicted* as each class: that is precision (of what the model "
            "called c, how much is c). This table asks the opposite: of the pixels that are c, how many "
            "were found, so divide by the count of `targets == c`.",
            """import numpy as np
def class_accuracy(logits, targets):
    predicted = logits.argmax(dim=1)
    shares = []
    for c in range(logits.shape[1]):
        called = predicted == c
        shares.append((targets[called] == c).float().mean().item() if called.any() else np.nan)
    return np.array(shares)
""",
        ),
        Mistake(
            "A class with no true pixel has no share to report: its entry must be `np.nan`, not 0 (a 0 "
            "would say the model missed pixels that do not exist).",
            """import numpy as np
def class_accuracy(logits, targets):
    predicted = logits.argmax(dim=1)
    shares = []
    for c in range(logits.shape[1]):
        here = targets == c
        shares.append((predicted[here] == c).float().mean().item() if here.any() else 0.0)
    return np.array(shares)
""",
        ),
        Mistake(
            "You divided each class's right pixels by all the pixels of the scenes, so the shares add up "
            "to the overall accuracy. Divide by the number of pixels of that class instead.",
            """import numpy as np
def class_accuracy(logits, targets):
    predicted = logits.argmax(dim=1)
    shares = []
    for c in range(logits.shape[1]):
        here = targets == c
        right = ((predicted == c) & here).sum().item()
        shares.append(right / targets.numel() if here.any() else np.nan)
    return np.array(shares)
""",
        ),
    ),
    compare=_compare_with_nan,
)


# --- the Dice coefficient ----------------------------------------------------------------------------------


def _fastai_dice(batches: list) -> float | None:
    """fastai's `Dice` metric as a `Learner` drives it: `reset`, then `accumulate` once per batch (it reads
    the batch's outputs from `learn.pred` and its targets from `learn.y`), then `value`."""
    from fastai.metrics import Dice

    metric = Dice()
    metric.reset()
    for logits, targets in batches:
        metric.accumulate(SimpleNamespace(pred=logits, y=targets))
    return metric.value


def _dice_cases() -> list[Case]:
    rng = np.random.default_rng(28)

    def batch(guess, truth, seed):
        return (_logits(guess, seed, 2), _targets(truth))

    one = batch([[[1, 1, 0], [0, 1, 0], [0, 0, 0]]], [[[1, 0, 0], [1, 1, 0], [0, 0, 0]]], 1)
    small = batch([[[1, 0], [0, 0]]], [[[1, 1], [1, 1]]], 2)
    big = batch([[[1, 1, 1, 0]] * 4] * 2, [[[1, 1, 0, 0]] * 4] * 2, 3)
    scores = torch.tensor(
        [[[[2.0, 0.5], [-1.0, 0.1]], [[1.0, 0.2], [-0.5, 0.7]]]]
    )  # class 1 > 0, class 0 more
    random = [
        batch(np.where(rng.random((4, 8, 8)) < 0.8, t, 1 - t), t, 10 + i)
        for i, t in enumerate(rng.random((3, 4, 8, 8)) < 0.3)
    ]
    return [
        Case("one batch, one 3×3 scene: 3 pixels predicted, 3 true, 2 in both", ([one],)),
        Case("the prediction is exactly the truth", ([batch([[[0, 1], [1, 1]]], [[[0, 1], [1, 1]]], 4)],)),
        Case("no overlap at all", ([batch([[[1, 1], [0, 0]]], [[[0, 0], [1, 1]]], 5)],)),
        Case(
            "two batches of different sizes: one 2×2 scene, then two 4×4 scenes",
            ([small, big],),
        ),
        Case(
            "class 1's score is positive but class 0's is larger at some pixels",
            ([(scores, _targets([[[0, 1], [0, 1]]]))],),
        ),
        Case("nothing to find and nothing found", ([batch([[[0, 0], [0, 0]]], [[[0, 0], [0, 0]]], 6)],)),
        Case("3 random batches of four 8×8 scenes", (random,)),
    ]


DICE = Exercise(
    id="08.dice",
    title="The Dice coefficient over several batches",
    function="dice",
    prompt=(
        "Segmentation with two classes (0 background, 1 the thing to find) is often scored with the "
        "**Dice coefficient**: with P the pixels predicted as class 1 and T the pixels whose true class is "
        "1, Dice = 2 × |P ∩ T| / (|P| + |T|): 1 for a perfect mask, 0 when they do not overlap. "
        "Write `dice(batches)`, where `batches` is a list of `(logits, targets)` pairs, one per batch: "
        "`logits` a float tensor of shape (N, 2, H, W), `targets` an integer tensor of shape (N, H, W) of "
        "0s and 1s (N, H and W can differ from batch to batch). A pixel's predicted class is the one of "
        "its 2 scores that is larger. Compute Dice for the whole set: add up |P ∩ T| and |P| + |T| over "
        "every batch, then divide once. Return a Python `float`, or `None` when |P| + |T| is 0. The "
        "check compares your result with fastai's `Dice` metric, which a `Learner` resets, then "
        "`accumulate`s once per batch, then reads its `value`."
    ),
    starter='''def dice(batches):
    """batches: a list of (logits (N, 2, H, W), targets (N, H, W)). The Dice coefficient of all of them."""
    raise NotImplementedError
''',
    solution='''def dice(batches):
    """batches: a list of (logits (N, 2, H, W), targets (N, H, W)). The Dice coefficient of all of them."""
    overlap, total = 0.0, 0.0  # running sums over the batches, as fastai's accumulate keeps them
    for logits, targets in batches:
        predicted = logits.argmax(dim=1)  # 0 or 1 at each pixel
        overlap += (predicted * targets).sum().item()  # 1 only where both are 1: |P ∩ T|
        total += (predicted + targets).sum().item()  # |P| + |T|
    if total == 0:
        return None  # an empty prediction of an empty mask: no score
    return 2 * overlap / total  # one division, for the whole set
''',
    hints=(
        "Keep two running sums across the batches, the overlap |P ∩ T| and |P| + |T|, and divide only "
        "after the last batch. The mean of each batch's own Dice is another number when the batches "
        "differ in size.",
        "In each batch, `predicted = logits.argmax(dim=1)` gives 0s and 1s with the shape of `targets`. "
        "Both are 0/1, so `predicted * targets` is 1 exactly on P ∩ T and `predicted + targets` sums to "
        "|P| + |T|.",
        "Add `(predicted * targets).sum().item()` to the overlap and `(predicted + targets).sum().item()` "
        "to the total; at the end return `None` if the total is 0, else `2 * overlap / total`.",
    ),
    reference=_fastai_dice,
    cases=_dice_cases,
    mistakes=(
        Mistake(
            "This is the mean of each batch's own Dice. fastai adds up the overlap and the areas over all "
            "the batches and divides once at the end, so every pixel counts the same whatever its batch.",
            """def dice(batches):
    scores = []
    for logits, targets in batches:
        predicted = logits.argmax(dim=1)
        scores.append(2 * (predicted * targets).sum().item() / (predicted + targets).sum().item())
    return sum(scores) / len(scores)
""",
        ),
        Mistake(
            "Your result is half of Dice: the overlap is counted in both areas, |P| and |T|, so it needs "
            "the factor 2 in 2 × |P ∩ T| / (|P| + |T|).",
            """def dice(batches):
    overlap = total = 0
    for logits, targets in batches:
        predicted = logits.argmax(dim=1)
        overlap += (predicted * targets).sum().item()
        total += (predicted + targets).sum().item()
    return overlap / total
""",
        ),
        Mistake(
            "You predicted class 1 wherever its score is above 0. The predicted class is the larger of the "
            "two scores: `logits.argmax(dim=1)`.",
            """def dice(batches):
    overlap = total = 0
    for logits, targets in batches:
        predicted = (logits[:, 1] > 0).long()
        overlap += (predicted * targets).sum().item()
        total += (predicted + targets).sum().item()
    return 2 * overlap / total
""",
        ),
        Mistake(
            "This is the IoU (Jaccard coefficient), |P ∩ T| / |P ∪ T|, fastai's `JaccardCoeff`. Dice "
            "divides 2 × |P ∩ T| by the sum of the two areas, |P| + |T|.",
            """def dice(batches):
    overlap = total = 0
    for logits, targets in batches:
        predicted = logits.argmax(dim=1)
        overlap += (predicted * targets).sum().item()
        total += (predicted + targets).sum().item()
    return overlap / (total - overlap)
""",
        ),
    ),
)

EXERCISES = [VOID_ACCURACY, CLASS_ACCURACY, DICE]
