"""The one grading rule. `static/quiz.js` implements the same rule for the browser;
tests/grading_cases.yml holds the cases both must agree on.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from decimal import Decimal, localcontext
from typing import Any

from dlcourse.quiz.schema import Question

NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
# Whitespace, spelled out so that Python and JavaScript agree exactly.
WS = "[ \t\n\r\f\v\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
WS_CHARS = frozenset(" \t\n\r\f\v\u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | {
    chr(c) for c in range(0x2000, 0x200B)
}
SPACES = re.compile(WS + "+")
MAX_ANSWER = 500  # characters; a longer answer is not graded
MAX_EXPONENT = 400  # numbers are compared exactly as typed, in decimal, up to 1e±400

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
    "too-long": f"That answer is too long: keep it under {MAX_ANSWER} characters.",
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
    """Remove surrounding whitespace, exactly the characters the browser grader removes (not str.strip's),
    in one pass from each end."""
    start, end = 0, len(text)
    while start < end and text[start] in WS_CHARS:
        start += 1
    while end > start and text[end - 1] in WS_CHARS:
        end -= 1
    return text[start:end]


def parse_number(text: str) -> Decimal | None:
    """The number in `text` ("4", " 4.0 ", "4e0", ".5") exactly as typed, or None if it is not one."""
    text = strip(text)
    return Decimal(text) if NUMBER.fullmatch(text) else None


def within(value: Decimal, answer: float, abs_tol: float, rel_tol: float) -> bool:
    """|value - answer| <= abs_tol, or <= rel_tol * |answer|, edges included, in decimal: the answer and
    tolerances as written in the bank (their shortest decimal form), the value as typed."""
    exact = [value, *(Decimal(repr(float(x))) for x in (answer, abs_tol, rel_tol))]
    if any(not x.is_finite() or abs(x.adjusted()) > MAX_EXPONENT for x in exact):
        return False
    value, answer_, abs_, rel_ = exact
    with localcontext(prec=2 * (MAX_ANSWER + MAX_EXPONENT)):  # enough digits for every step to be exact
        diff = abs(value - answer_)
        return diff <= abs_ or diff <= rel_ * abs(answer_)


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
    if not isinstance(response, str):
        return Verdict("invalid", "no-answer")
    if len(response) > MAX_ANSWER:
        return Verdict("invalid", "too-long")
    if not strip(response):
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
    ok = within(value, q.answer, tol.abs if tol else 0.0, tol.rel if tol else 0.0)
    return Verdict("correct" if ok else "incorrect", "correct" if ok else "outside-tolerance")


def _grade_text(q: Question, response: str) -> Verdict:
    given = normalise(response)
    if not given:
        return Verdict("invalid", "no-answer")
    ok = any(given == normalise(a) for a in q.accept or [])
    ok = ok or bool(q.pattern and re.fullmatch(q.pattern, given, re.ASCII))  # as JavaScript's \\d and \\w
    return Verdict("correct" if ok else "incorrect", "correct" if ok else "not-accepted")
