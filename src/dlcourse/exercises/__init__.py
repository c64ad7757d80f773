"""Exercises you write and the course checks: each one declared once, checked against the library.

from dlcourse.exercises import exercise
ex = exercise("01.conv2d")
ex.check(conv2d)      # passed / failed with the first differing case / not attempted
ex.hint(), ex.hint(2), ex.show_solution()
"""

from __future__ import annotations

from dlcourse.exercises.core import Case, Exercise, Hint, Mistake, Report
from dlcourse.exercises.registry import EXERCISES, exercise, for_lesson

__all__ = ["EXERCISES", "Case", "Exercise", "Hint", "Mistake", "Report", "exercise", "for_lesson"]
