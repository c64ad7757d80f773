"""`dlcourse.quiz.show("01")`: the lesson's quiz inside Jupyter, Colab and the rendered lesson page."""

from __future__ import annotations

import html
import json
import secrets

from dlcourse.quiz.bank import load_quiz
from dlcourse.quiz.client import client_quiz, static_text


class QuizWidget:
    """Displays as HTML with the renderer inlined: no server, no CDN, works offline."""

    def __init__(self, lesson: str):
        self.quiz = load_quiz(lesson)

    def _repr_html_(self) -> str:
        uid = f"dlq-{secrets.token_hex(4)}"
        data = json.dumps(client_quiz(self.quiz, same_page=self.quiz.page.startswith("lessons/")))
        data = data.replace("</", "<\\/")  # keep the JSON from closing the script element
        return (
            f"<style>{static_text('quiz.css')}</style>"
            f'<div id="{uid}" class="dlq" aria-label="{html.escape(self.quiz.title)} quiz"></div>'
            f"<script>{static_text('quiz.js')}</script>"
            f"<script>DLQuiz.mount(document.getElementById('{uid}'), {data});</script>"
        )

    def __repr__(self) -> str:
        n = len(self.quiz.questions)
        return f"<quiz for lesson {self.quiz.lesson}: {n} questions; display it in Jupyter>"


def quiz_html(lesson: str) -> QuizWidget:
    return QuizWidget(lesson)
