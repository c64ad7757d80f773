"""Exercises passed, kept in the quiz's progress file, and the course map of both per lesson."""

from __future__ import annotations

import time

import pandas as pd

from dlcourse.lessons import LESSONS
from dlcourse.quiz.review import ReviewState


def record_pass(exercise_id: str, state: ReviewState | None = None) -> None:
    """Remember that `exercise_id` passed (the first time counts; a later pass keeps it)."""
    state = state or ReviewState()
    state.exercises.setdefault(exercise_id, int(time.time() * 1000))
    state.save()


def course_map(state: ReviewState | None = None) -> pd.DataFrame:
    """One row per lesson: exercises passed of those it has, and quiz questions last answered right."""
    from dlcourse.exercises.registry import for_lesson
    from dlcourse.quiz.bank import load_quiz

    state = state or ReviewState()
    rows = []
    for lesson in LESSONS:
        exercises = [ex.id for ex in for_lesson(lesson.quiz)]
        quiz = load_quiz(lesson.quiz)
        ids = [item.id for item in quiz.items]
        right = sum(1 for i in ids if state.cards.get(i, {}).get("last") == "correct")
        rows.append(
            {
                "lesson": lesson.quiz,
                "title": lesson.title,
                "exercises passed": f"{sum(e in state.exercises for e in exercises)} / {len(exercises)}",
                "quiz correct": f"{right} / {len(ids)}",
            }
        )
    return pd.DataFrame(rows).set_index("lesson")
