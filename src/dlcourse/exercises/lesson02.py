"""Lesson 2's exercises: softmax, cross-entropy, the error rate. References: torch and fastai's metric."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from dlcourse.exercises.core import Case, Exercise, Mistake, compare_values


def _close(a, b) -> bool:
    """Whether two results agree, whatever their kinds (float, tensor, array), for the mistake detectors."""
    a = np.asarray(a.detach().cpu() if hasattr(a, "detach") else a, dtype=float)
    b = np.asarray(b.detach().cpu() if hasattr(b, "detach") else b, dtype=float)
    if a.size == b.size == 1:  # a number, whether shaped () or (1,)
        a, b = a.reshape(()), b.reshape(())
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-4, atol=1e-6))


def _finite(value) -> bool:
    return bool(torch.isfinite(torch.as_tensor(value, dtype=torch.float64)).all())


def _compare_number(expected, received, rtol: float, atol: float) -> str:
    """One number: a float, a 0-d tensor and a tensor of shape (1,) all count as "a tensor of one value"."""
    size = received.numel() if hasattr(received, "numel") else getattr(received, "size", None)
    if size == 1 and hasattr(received, "reshape"):
        received = received.reshape(())
    return compare_values(expected, received, rtol, atol)


def _huge(logits) -> bool:
    """Scores large enough for e^z to overflow in float32."""
    return float(torch.as_tensor(logits).abs().max()) > 80


# --- softmax ----------------------------------------------------------------------------------------


def _torch_softmax(logits: torch.Tensor) -> torch.Tensor:
    return torch.softmax(logits, dim=-1)


def _softmax_cases() -> list[Case]:
    g = torch.Generator().manual_seed(2)
    return [
        Case("one image's 5 scores", (torch.tensor([2.0, 1.0, 0.1, -1.0, 3.0]),)),
        Case("a batch of 2 images × 3 classes", (torch.tensor([[1.0, 2.0, 3.0], [0.5, -0.5, 4.0]]),)),
        Case("4 images × 4 classes: as many rows as columns", (torch.randn(4, 4, generator=g),)),
        Case("every score equal: each class gets 1/K", (torch.full((2, 5), 7.0),)),
        Case(
            "scores near ±1000: e^1000 overflows unless you subtract the largest score first",
            (torch.tensor([[1000.0, 999.0, 990.0], [-1000.0, -1001.0, -1010.0]]),),
        ),
        Case("a random batch of 8 images × 37 classes (Pets' breeds)", (torch.randn(8, 37, generator=g),)),
        Case(
            "a random batch of 16 × 5 with scores up to about ±150", (50 * torch.randn(16, 5, generator=g),)
        ),
    ]


def _softmax_overflowed(case: Case, expected, received) -> bool:
    return _huge(case.args[0]) and not _finite(received)


def _softmax_wrong_dim(case: Case, expected, received) -> bool:
    logits = case.args[0]
    return logits.ndim == 2 and _close(received, torch.softmax(logits, dim=0))


def _softmax_unnormalised(case: Case, expected, received) -> bool:
    ratio = torch.as_tensor(received, dtype=torch.float64) / expected.double()
    return _close(ratio, ratio[..., :1].expand_as(ratio)) and not _close(ratio, torch.ones_like(ratio))


SOFTMAX = Exercise(
    id="02.softmax",
    title="Softmax, safely",
    function="softmax",
    prompt=(
        "Write `softmax(logits)`: turn scores into probabilities along the last dimension, "
        "`p_i = exp(z_i) / sum over k of exp(z_k)`. `logits` is a float tensor: either one image's K "
        "scores, of "
        "shape (K,), or a batch of N images, of shape (N, K). Return a tensor of the same shape whose values "
        "along the last dimension are positive and add up to 1. Some cases have scores near ±1000, so "
        "subtract the largest score of each row before taking `exp`, as the lesson does. Write it with "
        "`torch.exp`, `max` and `sum`, not with `torch.softmax` itself: the check compares your result with "
        "`torch.softmax(logits, dim=-1)`."
    ),
    starter='''def softmax(logits):
    """logits: (K,) or (N, K) tensor. Returns probabilities of that shape, adding to 1 along the last dim."""
    raise NotImplementedError
''',
    solution='''import torch


def softmax(logits):
    """logits: (K,) or (N, K) tensor. Returns probabilities of that shape, adding to 1 along the last dim."""
    # the largest score of each row; keepdim=True keeps a dimension of size 1, so it lines up with its row
    biggest = logits.max(dim=-1, keepdim=True).values
    e = torch.exp(logits - biggest)  # every exponent is <= 0: nothing overflows, and the largest e is 1
    return e / e.sum(dim=-1, keepdim=True)  # each row divided by its own sum
''',
    hints=(
        "Work along the last dimension (`dim=-1`): that is the class dimension for one image and for a batch "
        "alike. Subtracting the same number from every score of a row changes none of its probabilities.",
        "`logits.max(dim=-1, keepdim=True).values` is each row's largest score, in a shape that subtracts "
        "from its own row. Then `e = torch.exp(logits - biggest)` cannot overflow.",
        "Divide by each row's own total: `e / e.sum(dim=-1, keepdim=True)`. Without `keepdim=True` the "
        "totals would line up with the columns instead of the rows.",
    ),
    reference=_torch_softmax,
    cases=_softmax_cases,
    mistakes=(
        Mistake(
            "Your result has inf or nan where the scores are large: in float32, e^z overflows to inf for z "
            "above about 88 (and inf / inf is nan), and for z below about −104 it rounds to 0 (and 0 / 0 is "
            "nan). Subtract each row's largest score before `torch.exp`: it changes no probability.",
            """import torch
def softmax(logits):
    e = torch.exp(logits)
    return e / e.sum(dim=-1, keepdim=True)
""",
            detect=_softmax_overflowed,
        ),
        Mistake(
            "Your columns add up to 1, not your rows: you took softmax over the images (dim 0) instead of "
            "over the classes. Use `dim=-1` for both the max and the sum.",
            """import torch
def softmax(logits):
    e = torch.exp(logits - logits.max(dim=0, keepdim=True).values)
    return e / e.sum(dim=0, keepdim=True)
""",
            detect=_softmax_wrong_dim,
        ),
        Mistake(
            "Each row of yours is proportional to the right probabilities but does not add up to 1: divide "
            "every e^z by the total of its own row, `e.sum(dim=-1, keepdim=True)` (not by nothing, and not "
            "by the total of the whole batch).",
            """import torch
def softmax(logits):
    return torch.exp(logits - logits.max(dim=-1, keepdim=True).values)
""",
            detect=_softmax_unnormalised,
        ),
    ),
)


# --- cross-entropy ----------------------------------------------------------------------------------


def _torch_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits, targets)


def _ce_cases() -> list[Case]:
    g = torch.Generator().manual_seed(3)
    return [
        Case(
            "one image, 3 classes, the right class scored highest",
            (torch.tensor([[2.0, 0.5, -1.0]]), torch.tensor([0])),
        ),
        Case(
            "4 images × 3 classes, one of them predicted wrong",
            (
                torch.tensor([[2.0, 1.0, 0.1], [0.2, 3.0, 0.3], [1.0, 1.5, 0.5], [-1.0, 0.0, 2.5]]),
                torch.tensor([0, 1, 0, 2]),
            ),
        ),
        Case(
            "2 confident right answers: they cost almost nothing",
            (torch.tensor([[9.0, 0.0, 0.0], [0.0, -1.0, 10.0]]), torch.tensor([0, 2])),
        ),
        Case(
            "2 confident wrong answers: they cost a lot",
            (torch.tensor([[8.0, 0.0, 1.0], [0.0, 7.0, -2.0]]), torch.tensor([1, 2])),
        ),
        Case(
            "scores near 1000: e^z overflows unless you subtract the largest score",
            (torch.tensor([[1000.0, 998.0, 995.0], [990.0, 1000.0, 999.0]]), torch.tensor([0, 2])),
        ),
        Case(
            "a random batch of 64 images × 37 classes",
            (torch.randn(64, 37, generator=g), torch.randint(0, 37, (64,), generator=g)),
        ),
        Case(
            "a random batch of 16 images × 5 classes, scores spread by 4",
            (4 * torch.randn(16, 5, generator=g), torch.randint(0, 5, (16,), generator=g)),
        ),
    ]


def _right_class(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return logits[torch.arange(len(targets)), targets]


CROSS_ENTROPY = Exercise(
    id="02.cross_entropy",
    title="Cross-entropy from scores",
    function="cross_entropy",
    prompt=(
        "Write `cross_entropy(logits, targets)`: the loss that training lowers. `logits` is a float tensor "
        "of shape (N, K), one row of scores per image; `targets` is an int64 tensor of shape (N,) holding "
        "each image's right class (0 to K − 1). Turn each row into probabilities with softmax (subtracting "
        "the row's largest score first: some scores are near 1000), take minus the log of the probability of "
        "the right class, and return the mean of that over the N images, "
        "`-(1/N) × sum over n of log p_n[y_n]`, as a number (a float or a tensor of one value). Do not "
        "call `F.cross_entropy`, `F.nll_loss` or `log_softmax`: the check compares your result with "
        "`F.cross_entropy(logits, targets)`, the loss fastai uses for classification."
    ),
    starter='''def cross_entropy(logits, targets):
    """logits: (N, K) tensor; targets: (N,) int tensor. Returns the mean of -log(p of the right class)."""
    raise NotImplementedError
''',
    solution='''import torch


def cross_entropy(logits, targets):
    """logits: (N, K) tensor; targets: (N,) int tensor. Returns the mean of -log(p of the right class)."""
    e = torch.exp(logits - logits.max(dim=-1, keepdim=True).values)  # safe: no exponent above 0
    probs = e / e.sum(dim=-1, keepdim=True)  # softmax, row by row
    rows = torch.arange(len(targets))  # 0, 1, ..., N - 1
    right = probs[rows, targets]  # row n, column targets[n]: the probability of each image's right class
    return -torch.log(right).mean()  # minus the log, averaged over the batch
''',
    hints=(
        "First softmax along the classes (subtract each row's largest score before `torch.exp`), then pick "
        "one probability per image: the one in the column of its right class.",
        "`probs[torch.arange(N), targets]` picks, for every row n, the column `targets[n]`: a tensor of N "
        "probabilities.",
        "Return `-torch.log(right).mean()`: the log turns a probability near 1 into a cost near 0 and one "
        "near 0 into a large cost, and `mean` (not `sum`) makes the loss not depend on the batch size.",
    ),
    reference=_torch_cross_entropy,
    cases=_ce_cases,
    compare=_compare_number,
    mistakes=(
        Mistake(
            "Your loss is inf or nan where the scores are large: e^1000 overflows in float32. Subtract each "
            "row's largest score before `torch.exp`; the probabilities do not change.",
            """import torch
def cross_entropy(logits, targets):
    probs = torch.exp(logits) / torch.exp(logits).sum(dim=-1, keepdim=True)
    return -torch.log(probs[torch.arange(len(targets)), targets]).mean()
""",
            detect=lambda case, expected, received: _huge(case.args[0]) and not _finite(received),
        ),
        Mistake(
            "You averaged minus the probabilities themselves: the loss is minus their *log*, "
            "`-torch.log(right).mean()`. Without the log a confident wrong answer costs almost nothing.",
            """import torch
def cross_entropy(logits, targets):
    probs = torch.softmax(logits, dim=-1)
    return -probs[torch.arange(len(targets)), targets].mean()
""",
            detect=lambda case, expected, received: _close(
                received, -_right_class(torch.softmax(case.args[0], -1), case.args[1]).mean()
            ),
        ),
        Mistake(
            "You took minus the right class's raw score: softmax first, so that it becomes a probability, "
            "then minus its log.",
            """def cross_entropy(logits, targets):
    return -logits[range(len(targets)), targets].mean()
""",
            detect=lambda case, expected, received: _close(received, -_right_class(*case.args).mean()),
        ),
        Mistake(
            "Your loss is N times too big: you summed over the batch. Take the mean, so that the loss does "
            "not grow with the batch size.",
            """import torch
def cross_entropy(logits, targets):
    probs = torch.softmax(logits, dim=-1)
    return -torch.log(probs[torch.arange(len(targets)), targets]).sum()
""",
            detect=lambda case, expected, received: _close(received, len(case.args[1]) * expected),
        ),
        Mistake(
            "You took the probability of the class the model predicts (the highest score), not of the right "
            "class: index each row with `targets`, `probs[torch.arange(N), targets]`.",
            """import torch
def cross_entropy(logits, targets):
    probs = torch.softmax(logits, dim=-1)
    return -torch.log(probs.max(dim=-1).values).mean()
""",
            detect=lambda case, expected, received: _close(
                received, F.cross_entropy(case.args[0], case.args[0].argmax(dim=-1))
            ),
        ),
    ),
)


# --- error rate -------------------------------------------------------------------------------------


def _fastai_error_rate(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    from fastai.metrics import error_rate  # imported here: fastai takes a while to load

    return error_rate(logits, targets)


def _guesses(n: int, k: int, right: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n images' scores over k classes where the right class gets a boost, so that some are right."""
    g = torch.Generator().manual_seed(seed)
    targets = torch.randint(0, k, (n,), generator=g)
    logits = torch.randn(n, k, generator=g)
    logits[torch.arange(n), targets] += right
    return logits, targets


def _error_cases() -> list[Case]:
    return [
        Case(
            "4 images, all predicted right: error 0",
            (
                torch.tensor([[2.5, 0.5, 0.1], [0.2, 1.7, -0.4], [0.3, 0.6, 1.9], [3.1, -1.2, 0.8]]),
                torch.tensor([0, 1, 2, 0]),
            ),
        ),
        Case(
            "4 images, one predicted wrong",
            (
                torch.tensor([[2.5, 0.5, 0.1], [0.2, 1.7, -0.4], [2.3, 0.6, 1.9], [3.1, -1.2, 0.8]]),
                torch.tensor([0, 1, 2, 0]),
            ),
        ),
        Case(
            "3 images, all predicted wrong: error 1",
            (torch.tensor([[0.5, 2.5], [1.5, -0.5], [0.1, 0.3]]), torch.tensor([0, 1, 0])),
        ),
        Case("one image, predicted wrong", (torch.tensor([[0.3, 0.2, 1.4, -0.7]]), torch.tensor([1]))),
        Case("a random batch of 64 images × 37 classes", _guesses(64, 37, 2.0, 4)),
        Case("2,000 images × 5 classes: one image moves the error by 0.05 points", _guesses(2000, 5, 1.5, 5)),
    ]


ERROR_RATE = Exercise(
    id="02.error_rate",
    title="The error rate",
    function="error_rate",
    prompt=(
        "Write `error_rate(logits, targets)`: the fraction of images the model gets wrong, the metric fastai "
        "printed after every epoch of `fine_tune`. `logits` is a float tensor of shape (N, K), one row of "
        "scores per image; `targets` is an int64 tensor of shape (N,) with each image's right class. The "
        "model's prediction for an image is the class with the highest score. Return the fraction of the N "
        "images whose prediction is not the right class, a number from 0 to 1 (a float or a tensor of one "
        "value). The check compares your result with fastai's `error_rate(logits, targets)` from "
        "`fastai.metrics`."
    ),
    starter='''def error_rate(logits, targets):
    """logits: (N, K) tensor; targets: (N,) int tensor. Returns the fraction of wrong predictions."""
    raise NotImplementedError
''',
    solution='''def error_rate(logits, targets):
    """logits: (N, K) tensor; targets: (N,) int tensor. Returns the fraction of wrong predictions."""
    predictions = logits.argmax(dim=-1)  # the index of each row's highest score: the predicted class
    wrong = predictions != targets  # True where the prediction is not the right class
    return wrong.float().mean()  # the fraction wrong; accuracy would be 1 minus this
''',
    hints=(
        "The predicted class is the *position* of the highest score in each row, not the score itself.",
        "`logits.argmax(dim=-1)` gives one predicted class per image; compare it with `targets` using `!=`.",
        "A tensor of True/False becomes 1s and 0s with `.float()`, and `.mean()` then gives the fraction of "
        "Trues: `(logits.argmax(dim=-1) != targets).float().mean()`.",
    ),
    reference=_fastai_error_rate,
    cases=_error_cases,
    compare=_compare_number,
    mistakes=(
        Mistake(
            "That is the accuracy, the fraction predicted right. The error rate is the fraction predicted "
            "wrong: 1 minus the accuracy.",
            """def error_rate(logits, targets):
    return (logits.argmax(dim=-1) == targets).float().mean()
""",
        ),
        Mistake(
            "You returned how many images are wrong, not what fraction: divide by the number of images (or "
            "take the mean instead of the sum).",
            """def error_rate(logits, targets):
    return (logits.argmax(dim=-1) != targets).sum()
""",
        ),
        Mistake(
            "You compared the highest *score* with the targets: `torch.max(logits, dim=1)` returns the "
            "values first and their positions second. The predicted class is the position, "
            "`logits.argmax(dim=-1)`.",
            """import torch
def error_rate(logits, targets):
    predictions = torch.max(logits, dim=1)[0]
    return (predictions != targets).float().mean()
""",
        ),
    ),
)

EXERCISES = [SOFTMAX, CROSS_ENTROPY, ERROR_RATE]
