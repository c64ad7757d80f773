"""The quiz as the browser renderer (static/quiz.js) receives it: markdown rendered to HTML."""

from __future__ import annotations

from importlib import resources

from markdown_it import MarkdownIt

from dlcourse.quiz.bank import Quiz
from dlcourse.quiz.schema import Question

# CommonMark with raw HTML turned off: bank text is Markdown; any HTML in it is shown as text, and links
# to javascript: and similar are refused.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})


def _html(text: str) -> str:
    return _MARKDOWN.render(text).strip()


def _inline(text: str) -> str:
    html = _html(text)
    return html[3:-4] if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1 else html


def page_url(page: str) -> str:
    """Site-relative URL of a quiz's page: lessons/01_x.ipynb -> lessons/01_x/, a.md -> a/."""
    return page.removesuffix(".ipynb").removesuffix(".md") + "/"


def client_quiz(quiz: Quiz, same_page: bool = False) -> dict:
    """JSON-ready quiz: one entry per question, holding its variants (the browser shows one per attempt).
    Section links are site-relative, or '#anchor' when shown on the lesson page itself."""
    base = "" if same_page else page_url(quiz.page)
    return {
        "lesson": quiz.lesson,
        "title": quiz.title,
        "url": page_url(f"quiz/{quiz.path.stem}.md"),
        "questions": [
            {
                "id": item.id,
                "computed": bool(item.computed),
                "variants": [_client_question(q, base) for q in item.variants],
            }
            for item in quiz.items
        ],
    }


def _client_question(q: Question, base: str) -> dict:
    return {
        "id": q.id,
        "type": q.type,
        "prompt": _html(q.prompt),
        "explanation": _inline(q.explanation),
        "link": f"{base}#{q.section}",
        **(
            {
                "choices": [
                    {
                        "id": c.id,
                        "html": _inline(c.text),
                        "correct": c.correct,
                        "feedback": _inline(c.feedback),
                    }
                    for c in q.choices
                ]
            }
            if q.choices
            else {}
        ),
        **({"answer": q.answer} if q.answer is not None else {}),
        **({"tolerance": {"abs": q.tolerance.abs, "rel": q.tolerance.rel}} if q.tolerance else {}),
        **({"accept": q.accept} if q.accept else {}),
        **({"pattern": q.pattern} if q.pattern else {}),
    }


def static_text(name: str) -> str:
    """quiz.js or quiz.css, as shipped in the package."""
    return resources.files("dlcourse.quiz").joinpath("static", name).read_text(encoding="utf-8")
