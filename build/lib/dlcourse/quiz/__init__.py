"""The quiz engine: one bank (`quiz/*.yml`), one grading rule, three places to take it."""

from dlcourse.quiz.bank import Quiz, QuizFileError, lint, load_bank, load_quiz
from dlcourse.quiz.grading import Verdict, grade

__all__ = ["Quiz", "QuizFileError", "Verdict", "grade", "lint", "load_bank", "load_quiz", "show"]


def show(lesson: str):
    """The lesson's quiz as an interactive widget for Jupyter and Colab (and the rendered site)."""
    from dlcourse.quiz.notebook import quiz_html

    return quiz_html(lesson)
