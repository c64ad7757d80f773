"""The course map of your progress: per lesson, the exercises passed and the quiz questions answered right."""

from __future__ import annotations

import pandas as pd

from dlcourse.exercises.registry import for_lesson
from dlcourse.lessons import LESSONS
from dlcourse.quiz.bank import load_quiz
from dlcourse.quiz.review import ReviewState


def course_map(state: ReviewState | None = None) -> pd.DataFrame:
    """One row per lesson: exercises passed of those it has, and quiz questions last answered right."""
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
