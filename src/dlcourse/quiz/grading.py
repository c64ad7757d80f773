"""The one grading rule. `static/quiz.js` implements the same rule for the browser;
tests/grading_cases.yml holds the cases both must agree on.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from dlcourse.quiz.schema import Question

NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
# Whitespace and punctuation, spelled out so that Python and JavaScript agree exactly.
WS = "[ \t\n\r\f\v\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
SPACES = re.compile(WS + "+")
EDGES = re.compile(f"^{WS}+|{WS}+$")

MESSAGES = {
    "correct": "Correct.",
    "wrong-choice": "Not this one.",
    "missing-choices": "Right so far, but some correct choices are missing.",
    "extra-choices": "You picked every correct choice, and some wrong ones too.",
    "missing-and-extra": "Some of your choices are wrong and some correct ones are missing.",
    "outside-tolerance": "Not quite.",
    "not-accepted": "Not the answer we were looking for.",
    "no-answer": "No answer given yet.",
    "unknown-choice": "That is not one of the choices.",
    "not-a-number": "That is not a number: type digits, like 4, 4.0 or 4e0.",
}


@dataclass(frozen=True)
class Verdict:
    status: str  # "correct" | "incorrect" | "invalid" (invalid: not graded, ask again)
    reason: str  # a key of MESSAGES
    feedback: list[str] = field(default_factory=list)  # the chosen choices' feedback sentences

    @property
    def message(self) -> str:
        return MESSAGES[self.reason]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "message": self.message}


def strip(text: str) -> str:
    """Remove surrounding whitespace, exactly the characters the browser grader removes (not str.strip's)."""
    return EDGES.sub("", text)


def parse_number(text: str) -> float | None:
    """The number in `text` ("4", " 4.0 ", "4e0", ".5"), or None if it is not one."""
    text = strip(text)
    return float(text) if NUMBER.fullmatch(text) else None


def normalise(text: str) -> str:
    """Case, surrounding and repeated spaces and punctuation do not matter in text answers."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("P"))
    return SPACES.sub(" ", text).strip(" ")


def grade(question: Question, response: Any) -> Verdict:
    """Grade one response; never raises. An unusable response is `invalid`, not wrong."""
    if question.type == "single":
        return _grade_single(question, response)
    if question.type == "multi":
        return _grade_multi(question, response)
    if not isinstance(response, str) or not strip(response):
        return Verdict("invalid", "no-answer")
    if question.type == "numeric":
        return _grade_numeric(question, response)
    return _grade_text(question, response)


def _grade_single(q: Question, response: Any) -> Verdict:
    if not isinstance(response, str) or not response:
        return Verdict("invalid", "no-answer")
    choice = next((c for c in q.choices if c.id == response), None)
    if choice is None:
        return Verdict("invalid", "unknown-choice")
    return Verdict(
        "correct" if choice.correct else "incorrect",
        "correct" if choice.correct else "wrong-choice",
        [choice.feedback],
    )


def _grade_multi(q: Question, response: Any) -> Verdict:
    if not isinstance(response, list) or not response:
        return Verdict("invalid", "no-answer")
    by_id = {c.id: c for c in q.choices}
    if not all(isinstance(r, str) and r in by_id for r in response):
        return Verdict("invalid", "unknown-choice")
    picked = [c for c in q.choices if c.id in response]  # bank order, duplicates dropped
    missing = any(c.correct and c not in picked for c in q.choices)
    extra = any(not c.correct for c in picked)
    reason = {
        (False, False): "correct",
        (True, False): "missing-choices",
        (False, True): "extra-choices",
        (True, True): "missing-and-extra",
    }[(missing, extra)]
    return Verdict("correct" if reason == "correct" else "incorrect", reason, [c.feedback for c in picked])


def _grade_numeric(q: Question, response: str) -> Verdict:
    value = parse_number(response)
    if value is None:
        return Verdict("invalid", "not-a-number")
    tol = q.tolerance
    abs_tol, rel_tol = (tol.abs, tol.rel) if tol else (0.0, 0.0)
    diff = abs(value - q.answer)
    ok = not math.isnan(diff) and (diff <= abs_tol or diff <= rel_tol * abs(q.answer))
    return Verdict("correct" if ok else "incorrect", "correct" if ok else "outside-tolerance")


def _grade_text(q: Question, response: str) -> Verdict:
    given = normalise(response)
    if not given:
        return Verdict("invalid", "no-answer")
    ok = any(given == normalise(a) for a in q.accept or [])
    ok = ok or bool(q.pattern and re.fullmatch(q.pattern, given))
    return Verdict("correct" if ok else "incorrect", "correct" if ok else "not-accepted")
