"""The site's exercise pages: each lesson's exercises with their task and starter code, a link that opens
the notebook in Colab at the exercise, and the hints revealed one click at a time, the worked solution
only on a last click of its own (static/exercises.js)."""

from __future__ import annotations

import html

from dlcourse.exercises import Exercise
from dlcourse.lessons import Lesson
from dlcourse.links import colab_url


def colab_at(repo_url: str, lesson: Lesson, ex: Exercise) -> str:
    """The lesson's notebook in Colab, scrolled to the exercise's heading cell."""
    return f"{colab_url(repo_url, lesson.name + '.ipynb')}#scrollTo={ex.anchor}"


def page(lesson: Lesson, exercises: list[Exercise], repo_url: str) -> str:
    """The Markdown of a lesson's exercise page."""
    parts = [
        f"# Exercises: {html.escape(lesson.title)}\n",
        f"{len(exercises)} exercises for [lesson {lesson.number}](../lessons/{lesson.name}.ipynb). "
        "Write each function in the lesson's notebook (the *Your turn* section near its end) and run the "
        "check under it, or write them in a `.py` file on your own machine and grade it with "
        f"`dlcourse exercise check FILE.py`. A check runs your function and the library's own call on the "
        "same inputs and says what differs. The hints come one at a time; the worked solution only when "
        "you ask for it.\n",
    ]
    for number, ex in enumerate(exercises, 1):
        steps = [
            _step("hint", f"**Hint {level} of {len(ex.hints)}.** {hint}")
            for level, hint in enumerate(ex.hints, 1)
        ]
        steps.append(_step("solution", f"**A worked solution.**\n\n```python\n{ex.solution.strip()}\n```"))
        parts += [
            f"## {number}. {html.escape(ex.title)} {{ #{ex.anchor} }}\n",
            f"{ex.prompt}\n",
            f"```python\n{ex.starter.strip()}\n```\n",
            f'<div class="dlx" data-dlx="{ex.id}" markdown>\n',
            f"[Open in Colab at this exercise]({colab_at(repo_url, lesson, ex)}){{ .md-button }}\n",
            *steps,
            "</div>\n",
            "<noscript>The hints open with JavaScript. In the notebook: "
            f"<code>exercise_{number}.hint(1)</code>; in a terminal: "
            f"<code>dlcourse exercise hint {ex.id} 1</code>.</noscript>\n",
        ]
    return "\n".join(parts)


def _step(kind: str, markdown: str) -> str:
    return f'<div class="dlx-step dlx-{kind}" hidden markdown>\n\n{markdown}\n\n</div>\n'
