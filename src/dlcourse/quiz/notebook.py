"""`dlcourse.quiz.show("01")`: the lesson's quiz inside Jupyter, Colab and the rendered lesson page.

It shows as one line with the learner's score; the questions open in place with one click."""

from __future__ import annotations

import html
import json
import secrets

from dlcourse.links import SITE_URL
from dlcourse.quiz.bank import load_quiz
from dlcourse.quiz.client import client_quiz, static_text


class QuizWidget:
    """Displays as HTML with the renderer inlined: no server, no CDN, works offline."""

    def __init__(self, lesson: str):
        self.quiz = load_quiz(lesson)

    def _repr_html_(self) -> str:
        uid = f"dlq-{secrets.token_hex(4)}"
        quiz = client_quiz(self.quiz, same_page=self.quiz.page.startswith("lessons/"))
        data = json.dumps(quiz).replace("</", "<\\/")  # keep the JSON from closing the script element
        opts = json.dumps({"collapsed": True, "pageUrl": SITE_URL + quiz["url"]})
        return (
            f"<style>{static_text('quiz.css')}</style>"
            f'<div id="{uid}" class="dlq" aria-label="{html.escape(self.quiz.title)} quiz"></div>'
            f"<script>{static_text('quiz.js')}</script>"
            f"<script>DLQuiz.mount(document.getElementById('{uid}'), {data}, {opts});</script>"
        )

    def __repr__(self) -> str:
        n = len(self.quiz.items)
        return f"<quiz for lesson {self.quiz.lesson}: {n} questions; display it in Jupyter>"


def quiz_html(lesson: str) -> QuizWidget:
    return QuizWidget(lesson)
