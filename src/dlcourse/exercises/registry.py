"""Every exercise by id, gathered from one module per lesson (`lesson01.py`, ...)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from dlcourse.exercises.core import Exercise


def _gather() -> dict[str, Exercise]:
    found: dict[str, Exercise] = {}
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if not info.name.startswith("lesson"):
            continue
        module = importlib.import_module(f"dlcourse.exercises.{info.name}")
        for ex in module.EXERCISES:
            if ex.id in found:
                raise ValueError(f"two exercises are called {ex.id}: rename one")
            found[ex.id] = ex
    return found


EXERCISES: dict[str, Exercise] = _gather()


def exercise(exercise_id: str) -> Exercise:
    """The exercise with this id, e.g. "01.conv2d"."""
    if exercise_id not in EXERCISES:
        raise KeyError(f"no exercise {exercise_id!r}; the exercises are: {', '.join(EXERCISES)}")
    return EXERCISES[exercise_id]


def for_lesson(lesson: str) -> list[Exercise]:
    """A lesson's exercises in order ("03" or 3)."""
    key = f"{int(lesson):02d}"
    return [ex for ex in EXERCISES.values() if ex.lesson == key]
