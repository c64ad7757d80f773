"""From a network's scores to probabilities and a loss: softmax and cross-entropy, by hand.

The last layer gives one score (logit) per class. Softmax turns them into probabilities:
exponentiate, then divide by the sum. Cross-entropy is minus the log of the probability given to the
right class, averaged over the batch; fastai's default loss for classification computes exactly that.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def softmax(logits: np.ndarray) -> np.ndarray:
    """exp(logit) / sum of exp(logits), along the last axis (shifted by the max, which changes nothing)."""
    logits = np.asarray(logits, dtype=float)
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy(logits: np.ndarray, targets: np.ndarray) -> float:
    """Mean over the batch of -log(probability of the right class)."""
    probs = softmax(logits)
    targets = np.asarray(targets)
    return float(-np.log(probs[np.arange(len(targets)), targets]).mean())


def worked_softmax(logits: np.ndarray, target: int, classes: list[str]) -> pd.DataFrame:
    """One image's scores worked through softmax, class by class, with its loss term on the right class."""
    logits = np.asarray(logits, dtype=float)
    shifted = np.exp(logits - logits.max())
    table = pd.DataFrame(
        {
            "class": classes,
            "score (logit)": logits,
            "exp(score - max)": shifted,
            "probability": shifted / shifted.sum(),
        }
    )
    table["-log(probability)"] = np.where(
        np.arange(len(classes)) == target, -np.log(table["probability"]), np.nan
    )
    return table
