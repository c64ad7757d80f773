"""Lesson 7's exercises: accuracy_multi, F-beta per image, binary cross-entropy from logits.
References: fastai's `accuracy_multi` and `FBetaMulti` (scikit-learn's `fbeta_score` underneath), torch."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from dlcourse.exercises.core import Case, Exercise, Mistake


def _tensor(values) -> torch.Tensor:
    return torch.tensor(np.asarray(values), dtype=torch.float32)


def _tags(rng: np.random.Generator, n: int, k: int, p: float = 0.3) -> torch.Tensor:
    return _tensor(rng.random((n, k)) < p)


# --- 07.accuracy_multi --------------------------------------------------------------------------------------


def _fastai_accuracy_multi(logits, targets, thresh=0.5, sigmoid=True):
    from fastai.metrics import accuracy_multi

    return accuracy_multi(logits, targets, thresh=thresh, sigmoid=sigmoid)


def _accuracy_cases() -> list[Case]:
    rng = np.random.default_rng(71)
    logits = _tensor([[2.0, -1.0, 0.3], [-3.0, 0.8, -0.2], [1.5, 2.5, -4.0], [-0.5, -2.0, -1.0]])
    targets = _tensor([[1, 0, 0], [0, 1, 1], [1, 1, 0], [0, 0, 0]])
    return [
        Case("4 images, 3 tags (the last image has none), threshold 0.5", (logits, targets)),
        Case(
            "logits of exactly 0: a probability of 0.5 is not above 0.5",
            (_tensor([[0.0, 1.0, -1.0], [0.0, 0.0, 2.0]]), _tensor([[0, 1, 0], [1, 0, 1]])),
        ),
        Case("the same 4 images at threshold 0.2", (logits, targets), {"thresh": 0.2}),
        Case(
            "sigmoid=False: the inputs are probabilities already",
            (_tensor([[0.9, 0.4, 0.6], [0.1, 0.7, 0.3]]), _tensor([[1, 1, 0], [0, 1, 0]])),
            {"sigmoid": False},
        ),
        Case(
            "a batch of 64 images and 17 tags, as in Planet",
            (_tensor(rng.normal(0, 2, (64, 17))), _tags(rng, 64, 17)),
        ),
        Case(
            "16 images, 6 tags, threshold 0.3",
            (_tensor(rng.normal(-1, 2, (16, 6))), _tags(rng, 16, 6)),
            {"thresh": 0.3},
        ),
    ]


ACCURACY_MULTI = Exercise(
    id="07.accuracy_multi",
    title="accuracy_multi",
    function="accuracy_multi",
    prompt=(
        "Write `accuracy_multi(logits, targets, thresh=0.5, sigmoid=True)`: the share of (image, tag) pairs "
        "a multi-label model gets right. `logits` is a float tensor of shape (images, tags), the model's "
        "raw outputs; `targets` a tensor of the same shape holding 1.0 where the image has the tag and 0.0 "
        "where it does not. Turn each logit into a probability with the sigmoid (when `sigmoid=False`, "
        "`logits` holds probabilities already: use them as they are); a tag is predicted when its "
        "probability is above `thresh` (strictly). Each pair is right when the prediction agrees with the "
        "target, present or absent. Return the share of right pairs as a float (or a one-element tensor). "
        "The check compares with fastai's `accuracy_multi`."
    ),
    starter='''def accuracy_multi(logits, targets, thresh=0.5, sigmoid=True):
    """logits, targets: (images, tags) tensors. Returns the share of (image, tag) pairs predicted right."""
    raise NotImplementedError
''',
    solution='''import torch


def accuracy_multi(logits, targets, thresh=0.5, sigmoid=True):
    """logits, targets: (images, tags) tensors. Returns the share of (image, tag) pairs predicted right."""
    probs = torch.sigmoid(logits) if sigmoid else logits  # each tag on its own: no softmax
    predicted = probs > thresh  # strictly above: a probability of exactly thresh is "absent"
    right = predicted == targets.bool()  # right when present and predicted, or absent and not predicted
    return right.float().mean().item()  # the mean over every (image, tag) pair
''',
    hints=(
        "Three steps: probabilities (`torch.sigmoid`, unless `sigmoid=False`), predictions (a probability "
        "against the threshold), then compare the predictions with the targets pair by pair.",
        "`probs > thresh` is a tensor of True/False; `targets.bool()` turns the 1.0/0.0 targets into the "
        "same. Comparing them with `==` marks each pair right or wrong.",
        "`((torch.sigmoid(logits) if sigmoid else logits) > thresh) == targets.bool()`, then "
        "`.float().mean()` over every pair, not image by image.",
    ),
    reference=_fastai_accuracy_multi,
    cases=_accuracy_cases,
    mistakes=(
        Mistake(
            "You compared the logits with the threshold. A logit is not a probability: apply the sigmoid "
            "first (when `sigmoid=True`), then compare with `thresh`.",
            """def accuracy_multi(logits, targets, thresh=0.5, sigmoid=True):
    return ((logits > thresh) == targets.bool()).float().mean()
""",
        ),
        Mistake(
            "You counted an image as right only when all its tags are right. `accuracy_multi` counts every "
            "(image, tag) pair on its own: take the mean over all pairs.",
            """import torch
def accuracy_multi(logits, targets, thresh=0.5, sigmoid=True):
    probs = torch.sigmoid(logits) if sigmoid else logits
    return ((probs > thresh) == targets.bool()).all(dim=1).float().mean()
""",
        ),
        Mistake(
            "A probability exactly at the threshold does not count as a predicted tag: `accuracy_multi` uses "
            "`>`, strictly above. (fastai's F-beta metric, by contrast, uses `>=`.)",
            """import torch
def accuracy_multi(logits, targets, thresh=0.5, sigmoid=True):
    probs = torch.sigmoid(logits) if sigmoid else logits
    return ((probs >= thresh) == targets.bool()).float().mean()
""",
        ),
        Mistake(
            "With `sigmoid=False` the inputs are probabilities already: compare them with the threshold as "
            "they are, without a sigmoid.",
            """import torch
def accuracy_multi(logits, targets, thresh=0.5, sigmoid=True):
    return ((torch.sigmoid(logits) > thresh) == targets.bool()).float().mean()
""",
        ),
    ),
)


# --- 07.fbeta -----------------------------------------------------------------------------------------------


def _fastai_fbeta(logits, targets, beta=2.0, thresh=0.5, sigmoid=True) -> float:
    """fastai's FBetaMulti as it runs during training: `accumulate` applies the sigmoid and the threshold."""
    from types import SimpleNamespace

    from fastai.metrics import FBetaMulti
    from fastai.torch_core import to_detach

    metric = FBetaMulti(beta, thresh=thresh, sigmoid=sigmoid, average="samples")
    metric.kwargs["zero_division"] = 0  # as in the lesson: 0/0 counts 0, without scikit-learn's warning
    metric.reset()
    metric.accumulate(SimpleNamespace(pred=logits, y=targets, to_detach=to_detach))
    return float(metric.value)


def _fbeta_cases() -> list[Case]:
    rng = np.random.default_rng(72)
    logits = _tensor([[2.0, -1.0, 0.3, -2.0], [-3.0, 0.8, -0.2, 1.2], [1.5, 2.5, -4.0, 0.1]])
    targets = _tensor([[1, 1, 0, 0], [0, 1, 1, 0], [1, 1, 0, 1]])
    return [
        Case("3 images, 4 tags: F2 at threshold 0.5", (logits, targets)),
        Case(
            "an image with no tags and none predicted, one with no tags but two predicted",
            (
                _tensor([[-2.0, -3.0, -1.0], [1.0, -1.0, 2.0], [0.5, 1.0, -0.5]]),
                _tensor([[0, 0, 0], [0, 0, 0], [1, 1, 0]]),
            ),
        ),
        Case(
            "logits of exactly 0: a probability of 0.5 counts at threshold 0.5",
            (_tensor([[0.0, -1.0, 2.0], [0.0, 0.0, -3.0]]), _tensor([[1, 0, 1], [0, 1, 0]])),
        ),
        Case("F1 (beta=1) at threshold 0.2", (logits, targets), {"beta": 1.0, "thresh": 0.2}),
        Case("beta=0.5: precision counts more than recall", (logits, targets), {"beta": 0.5}),
        Case(
            "sigmoid=False: probabilities, some exactly at the threshold 0.25",
            (_tensor([[0.25, 0.1, 0.8], [0.6, 0.25, 0.05]]), _tensor([[1, 0, 0], [1, 0, 1]])),
            {"thresh": 0.25, "sigmoid": False},
        ),
        Case(
            "a batch of 64 images and 17 tags, as in Planet",
            (_tensor(rng.normal(-1, 2, (64, 17))), _tags(rng, 64, 17)),
        ),
        Case(
            "20 images, 6 tags, threshold 0.3",
            (_tensor(rng.normal(-1, 2, (20, 6))), _tags(rng, 20, 6, 0.4)),
            {"thresh": 0.3},
        ),
    ]


def _is_nan(value) -> bool:
    return bool(np.isnan(float(value)))


FBETA = Exercise(
    id="07.fbeta",
    title="F-beta, image by image",
    function="fbeta_multi",
    prompt=(
        "Write `fbeta_multi(logits, targets, beta=2.0, thresh=0.5, sigmoid=True)`: the F-beta score of a "
        "multi-label model, computed for each image and then averaged over the images (Planet's score, "
        "`average='samples'`). `logits` is a float tensor of shape (images, tags), `targets` a tensor of "
        "the same shape holding 1.0 for a true tag and 0.0 otherwise. Turn the logits into probabilities "
        "with the sigmoid (when `sigmoid=False` they are probabilities already); a tag is predicted when "
        "its probability is at least `thresh` (`>=`). For each image count TP (true tags predicted), FN "
        "(true tags missed) and FP (tags predicted wrongly); its score is "
        "(1 + β²)·TP / ((1 + β²)·TP + β²·FN + FP), and an image with no true tag and none predicted (0/0) "
        "scores 0. Return the mean over the images as a float. The check runs fastai's "
        "`FBetaMulti(beta, thresh=thresh, sigmoid=sigmoid, average='samples')` the way training does (its "
        "`accumulate` step applies the sigmoid and the threshold), with `zero_division=0` as in the lesson; "
        "underneath it calls scikit-learn's `fbeta_score`."
    ),
    starter='''def fbeta_multi(logits, targets, beta=2.0, thresh=0.5, sigmoid=True):
    """logits, targets: (images, tags) tensors. Returns the mean over the images of each image's F-beta."""
    raise NotImplementedError
''',
    solution='''import torch


def fbeta_multi(logits, targets, beta=2.0, thresh=0.5, sigmoid=True):
    """logits, targets: (images, tags) tensors. Returns the mean over the images of each image's F-beta."""
    probs = torch.sigmoid(logits) if sigmoid else logits
    predicted = probs >= thresh  # FBetaMulti thresholds with >= (accuracy_multi uses >)
    true = targets.bool()
    # one count per image: sum over the tags (dim=1)
    tp = (predicted & true).sum(dim=1).double()
    fn = (~predicted & true).sum(dim=1).double()
    fp = (predicted & ~true).sum(dim=1).double()
    b2 = beta**2  # beta = 2 weighs a missed tag four times as much as a wrong one
    denominator = (1 + b2) * tp + b2 * fn + fp
    # an image with nothing true and nothing predicted has denominator 0: it scores 0. The clamp only
    # keeps that 0 / 0 out of the division; where tp > 0 the denominator is above 1 already.
    scores = torch.where(denominator > 0, (1 + b2) * tp / denominator.clamp(min=1), 0.0)
    return scores.mean().item()  # each image's score, then the mean
''',
    hints=(
        "Work on the whole batch at once: `predicted` and `targets.bool()` are (images, tags) tensors of "
        "True/False, and `(predicted & true).sum(dim=1)` counts each image's TP. FN and FP are the same with "
        "`~` (not) on one side.",
        "Compute one score per image, then `.mean()`, rather than adding up the counts over all images "
        "first. β² multiplies FN, the missed tags, which is how F2 makes recall count more.",
        "`d = (1 + b2) * tp + b2 * fn + fp`, then `torch.where(d > 0, (1 + b2) * tp / d.clamp(min=1), 0.0)"
        ".mean()` with `b2 = beta**2`, the counts as floats, and `probs >= thresh` for the predictions.",
    ),
    reference=_fastai_fbeta,
    cases=_fbeta_cases,
    mistakes=(
        Mistake(
            "You added up TP, FN and FP over all the images and computed one F-beta from the totals: that "
            "is `average='micro'`. Planet's score (`average='samples'`) computes each image's F-beta first, "
            "then takes the mean over the images.",
            """import torch
def fbeta_multi(logits, targets, beta=2.0, thresh=0.5, sigmoid=True):
    predicted = (torch.sigmoid(logits) if sigmoid else logits) >= thresh
    true = targets.bool()
    tp, fn, fp = (predicted & true).sum(), (~predicted & true).sum(), (predicted & ~true).sum()
    d = (1 + beta**2) * tp + beta**2 * fn + fp
    return float((1 + beta**2) * tp / d) if d > 0 else 0.0
""",
        ),
        Mistake(
            "You compared the logits with the threshold. Apply the sigmoid first (when `sigmoid=True`): "
            "the threshold is a probability.",
            """import torch
def fbeta_multi(logits, targets, beta=2.0, thresh=0.5, sigmoid=True):
    predicted, true = logits >= thresh, targets.bool()
    tp = (predicted & true).sum(1).double()
    fn, fp = (~predicted & true).sum(1).double(), (predicted & ~true).sum(1).double()
    d = (1 + beta**2) * tp + beta**2 * fn + fp
    return torch.where(d > 0, (1 + beta**2) * tp / d.clamp(min=1), 0.0).mean().item()
""",
        ),
        Mistake(
            "Your β² weighs the wrong error: it multiplies FN, the true tags missed, not FP. So F2 "
            "punishes a missed tag more than a wrong one, and beta < 1 does the opposite.",
            """import torch
def fbeta_multi(logits, targets, beta=2.0, thresh=0.5, sigmoid=True):
    predicted = (torch.sigmoid(logits) if sigmoid else logits) >= thresh
    true = targets.bool()
    tp = (predicted & true).sum(1).double()
    fn, fp = (~predicted & true).sum(1).double(), (predicted & ~true).sum(1).double()
    d = (1 + beta**2) * tp + fn + beta**2 * fp
    return torch.where(d > 0, (1 + beta**2) * tp / d.clamp(min=1), 0.0).mean().item()
""",
        ),
        Mistake(
            "A probability exactly at the threshold counts as a predicted tag here: fastai's F-beta metric "
            "thresholds with `>=` (unlike `accuracy_multi`, which uses `>`).",
            """import torch
def fbeta_multi(logits, targets, beta=2.0, thresh=0.5, sigmoid=True):
    predicted = (torch.sigmoid(logits) if sigmoid else logits) > thresh
    true = targets.bool()
    tp = (predicted & true).sum(1).double()
    fn, fp = (~predicted & true).sum(1).double(), (predicted & ~true).sum(1).double()
    d = (1 + beta**2) * tp + beta**2 * fn + fp
    return torch.where(d > 0, (1 + beta**2) * tp / d.clamp(min=1), 0.0).mean().item()
""",
        ),
        Mistake(
            "Your result is nan: an image with no true tag and none predicted gives 0 / 0. Such an image "
            "scores 0 (`zero_division=0`) and still counts in the mean.",
            """import torch
def fbeta_multi(logits, targets, beta=2.0, thresh=0.5, sigmoid=True):
    predicted = (torch.sigmoid(logits) if sigmoid else logits) >= thresh
    true = targets.bool()
    tp = (predicted & true).sum(1).double()
    fn, fp = (~predicted & true).sum(1).double(), (predicted & ~true).sum(1).double()
    return ((1 + beta**2) * tp / ((1 + beta**2) * tp + beta**2 * fn + fp)).mean().item()
""",
            detect=lambda case, expected, received: _is_nan(received) and not _is_nan(expected),
        ),
    ),
)


# --- 07.bce -------------------------------------------------------------------------------------------------


def _torch_bce(logits, targets):
    return F.binary_cross_entropy_with_logits(logits, targets)


def _bce_cases() -> list[Case]:
    rng = np.random.default_rng(73)
    return [
        Case(
            "2 images, 3 tags",
            (_tensor([[1.5, -0.5, 0.2], [-2.0, 3.0, 0.7]]), _tensor([[1, 0, 0], [0, 1, 1]])),
        ),
        Case(
            "logits of exactly 0: every tag costs log 2",
            (torch.zeros(2, 4), _tensor([[1, 0, 1, 0], [0, 0, 1, 1]])),
        ),
        Case(
            "confident and right: logits from ±30 to ±100",
            (_tensor([[100.0, -100.0, 50.0], [-80.0, 30.0, -40.0]]), _tensor([[1, 0, 1], [0, 1, 0]])),
        ),
        Case(
            "confident and wrong: a logit of -1000 for a present tag",
            (_tensor([[-1000.0, -2.0, 1.0], [0.5, 1.0, -1.0]]), _tensor([[1, 0, 1], [0, 1, 0]])),
        ),
        Case(
            "soft targets (0.1 and 0.9 instead of 0 and 1)",
            (_tensor([[1.0, -1.0, 2.0], [-0.5, 0.5, -3.0]]), _tensor([[0.9, 0.1, 0.9], [0.1, 0.9, 0.1]])),
        ),
        Case(
            "a batch of 64 images and 17 tags, as in Planet",
            (_tensor(rng.normal(0, 2, (64, 17))), _tags(rng, 64, 17)),
        ),
        Case("8 images, 6 tags", (_tensor(rng.normal(-1, 1.5, (8, 6))), _tags(rng, 8, 6, 0.5))),
    ]


def _not_finite(value) -> bool:
    return not bool(np.isfinite(float(value)))


BCE = Exercise(
    id="07.bce",
    title="Binary cross-entropy from logits",
    function="bce_with_logits",
    prompt=(
        "Write `bce_with_logits(logits, targets)`: the binary cross-entropy loss of a multi-label model, "
        "computed from its raw outputs. `logits` is a float32 tensor of shape (images, tags); `targets` a "
        "tensor of the same shape, 1.0 where the image has the tag and 0.0 where it does not (or any value "
        "in between, a soft target). With p = sigmoid(logit), each (image, tag) pair costs "
        "−[y·log p + (1 − y)·log(1 − p)]; return the mean over every pair, as a float or a one-element "
        "tensor. It must stay finite for confident logits such as 100 or −1000, where p is 1 or 0 in "
        "float32. The check compares with PyTorch's `F.binary_cross_entropy_with_logits`, the loss behind "
        "fastai's `BCEWithLogitsLossFlat`; write it yourself rather than calling it."
    ),
    starter='''def bce_with_logits(logits, targets):
    """logits, targets: (images, tags) tensors. Returns the mean binary cross-entropy over every pair."""
    raise NotImplementedError
''',
    solution='''import torch


def bce_with_logits(logits, targets):
    """logits, targets: (images, tags) tensors. Returns the mean binary cross-entropy over every pair."""
    x, y = logits, targets
    # log p = -log(1 + e^-x) and log(1 - p) = -x - log(1 + e^-x): the loss is x - x*y + log(1 + e^-x).
    # For x < 0, e^-x overflows, so write log(1 + e^-x) as max(-x, 0) + log(1 + e^-|x|): the same value,
    # and e^-|x| is never above 1. That gives max(x, 0) - x*y + log(1 + e^-|x|), never log(0).
    losses = x.clamp(min=0) - x * y + torch.log1p(torch.exp(-x.abs()))
    return losses.mean()  # the mean over every image and every tag
''',
    hints=(
        "The sigmoid, not softmax: each tag is its own yes-or-no question. Averaged over every (image, "
        "tag) pair, not summed over the tags of an image.",
        "`torch.sigmoid(100.0)` is exactly 1.0 in float32, so `log(1 - p)` is `log(0) = -inf`. Do not form "
        "p and take its log: log p = −log(1 + e^(−x)) and log(1 − p) = −x − log(1 + e^(−x)) (try "
        "`F.logsigmoid`), so the loss of a pair is x − x·y + log(1 + e^(−x)).",
        "`e^(−x)` overflows for x = −1000; `max(x, 0) − x·y + log(1 + e^(−|x|))` is the same number and "
        "never overflows: `(x.clamp(min=0) - x * y + torch.log1p(torch.exp(-x.abs()))).mean()`.",
    ),
    reference=_torch_bce,
    cases=_bce_cases,
    mistakes=(
        Mistake(
            "This is softmax cross-entropy, the single-label loss: softmax makes the tags compete for one "
            "share. Here each tag is its own yes-or-no question: a sigmoid for each logit, the binary "
            "cross-entropy of each pair, then the mean.",
            """import torch.nn.functional as F
def bce_with_logits(logits, targets):
    return -(targets * F.log_softmax(logits, dim=1)).sum(dim=1).mean()
""",
        ),
        Mistake(
            "Your loss is inf or nan for confident logits: in float32, sigmoid(x) is exactly 1 once x is "
            "above about 17 (and exactly 0 once x is below about −89), and log(0) is −inf. Compute log p and "
            "log(1 − p) without forming p, for example as max(x, 0) − x·y + log(1 + e^(−|x|)).",
            """import torch
def bce_with_logits(logits, targets):
    p = torch.sigmoid(logits)
    return -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p)).mean()
""",
            detect=lambda case, expected, received: _not_finite(received) and not _not_finite(expected),
        ),
        Mistake(
            "You added up the tags of each image and averaged over the images. The loss is the mean over "
            "every (image, tag) pair: divide by the number of tags too.",
            """import torch
def bce_with_logits(logits, targets):
    x, y = logits, targets
    return (x.clamp(min=0) - x * y + torch.log1p(torch.exp(-x.abs()))).sum(dim=1).mean()
""",
        ),
        Mistake(
            "You added up the losses of every (image, tag) pair: take their mean, so that the loss does not "
            "grow with the batch size.",
            """import torch
def bce_with_logits(logits, targets):
    x, y = logits, targets
    return (x.clamp(min=0) - x * y + torch.log1p(torch.exp(-x.abs()))).sum()
""",
        ),
    ),
)

EXERCISES = [ACCURACY_MULTI, FBETA, BCE]
