"""Exercises passed, kept in the quiz's progress file (`dlcourse.quiz.review.ReviewState`)."""

from __future__ import annotations

import time

from dlcourse.quiz.review import ReviewState


def record_pass(exercise_id: str, state: ReviewState | None = None) -> None:
    """Remember that `exercise_id` passed (the first time counts; a later pass keeps it)."""
    state = state or ReviewState()
    state.exercises.setdefault(exercise_id, int(time.time() * 1000))
    state.save()
