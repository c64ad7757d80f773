"""Helpers that variant makers of several lessons share."""

from __future__ import annotations

import numpy as np


def _grid(values: np.ndarray) -> str:
    """A small array as a markdown code block."""
    rows = ["  ".join(f"{v:>3g}" for v in row) for row in np.asarray(values, dtype=float)]
    return "\n\n```\n" + "\n".join(rows) + "\n```\n\n"


ARCH_NAMES = {"resnet18": "ResNet-18", "resnet34": "ResNet-34", "resnet50": "ResNet-50"}
