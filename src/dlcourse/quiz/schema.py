"""The quiz bank's schema: one YAML file per lesson in `quiz/`, validated with pydantic."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID = r"^[a-z0-9][a-z0-9-]*$"
VARIANT_SUFFIX = re.compile(r"-v[0-9]+$")  # reserved: computed questions' variants are id-v1, id-v2, ...


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(Strict):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    text: str = Field(min_length=1)
    correct: bool = False
    feedback: str = Field(min_length=1, description="why this choice is right or wrong")


class Tolerance(Strict):
    abs: float = Field(0.0, ge=0)
    rel: float = Field(0.0, ge=0)


class Precision(Strict):
    """The precision a numeric answer is expected at; stated to the learner under the prompt."""

    decimals: int | None = Field(None, ge=0, le=12)
    significant: int | None = Field(None, ge=1, le=12)

    @model_validator(mode="after")
    def _one_of(self) -> Precision:
        if (self.decimals is None) == (self.significant is None):
            raise ValueError("precision needs exactly one of `decimals` or `significant`")
        return self

    def sentence(self) -> str:
        n = self.decimals if self.decimals is not None else self.significant
        unit = "decimal place" if self.decimals is not None else "significant figure"
        return f"Give the answer to {n} {unit}{'s' if n != 1 else ''}."


class Compute(Strict):
    """Variants made by a function of `dlcourse` (parameters + answer), with a fixed seed."""

    function: str = Field(pattern=r"^dlcourse(\.[a-z_][a-z0-9_]*)+$")
    seed: int = 0
    variants: int = Field(3, ge=1, le=20)


class Question(Strict):
    id: str = Field(pattern=ID)
    type: Literal["single", "multi", "numeric", "text"]
    prompt: str = Field(min_length=1, description="markdown; {name} fields are filled for computed questions")
    explanation: str = Field(min_length=1)
    section: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="heading anchor in the lesson page")
    difficulty: Literal["easy", "medium", "hard"]
    tags: list[str] = Field(min_length=1)
    choices: list[Choice] | None = None
    answer: float | None = None
    tolerance: Tolerance | None = None
    precision: Precision | None = None
    accept: list[str] | None = None
    pattern: str | None = None
    compute: Compute | None = None

    @model_validator(mode="after")
    def _fields_match_type(self) -> Question:
        if self.type in ("single", "multi"):
            if not self.choices or len(self.choices) < 2:
                raise ValueError(f"a {self.type} question needs at least two choices")
            ids = [c.id for c in self.choices]
            if len(set(ids)) != len(ids):
                raise ValueError(f"choice ids must be unique, got {ids}")
            n_correct = sum(c.correct for c in self.choices)
            if self.type == "single" and n_correct != 1:
                raise ValueError(f"a single question needs exactly one correct choice, has {n_correct}")
            if self.type == "multi" and n_correct < 1:
                raise ValueError("a multi question needs at least one correct choice")
            extra = [
                f
                for f in ("answer", "tolerance", "precision", "accept", "pattern", "compute")
                if getattr(self, f)
            ]
        elif self.type == "numeric":
            if (self.answer is None) == (self.compute is None):
                raise ValueError("a numeric question needs either `answer` or `compute`, not both")
            extra = [f for f in ("choices", "accept", "pattern") if getattr(self, f)]
        else:
            if not self.accept and not self.pattern:
                raise ValueError("a text question needs `accept` (a list of answers) or `pattern`")
            extra = [
                f
                for f in ("choices", "answer", "tolerance", "precision", "compute")
                if getattr(self, f) is not None
            ]
        if extra:
            raise ValueError(f"a {self.type} question does not use {', '.join(extra)}: remove it")
        return self

    @field_validator("id")
    @classmethod
    def _not_a_variant_id(cls, value: str) -> str:
        if VARIANT_SUFFIX.search(value):
            raise ValueError(f"id {value!r} ends like a variant id (-v1, -v2, ...): rename it")
        return value

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as err:
                raise ValueError(f"pattern does not compile: {err}") from None
            problem = browser_incompatibility(value)
            if problem:
                raise ValueError(f"pattern {value!r}: {problem}")
        return value


# Escapes both Python and the browser (JavaScript, `u` flag) read the same way; inside [...] also "-".
PORTABLE_ESCAPES = set("dDwWsSbBnrtfv0123456789^$\\.*+?()[]{}|/")


def browser_incompatibility(pattern: str) -> str:
    """Why `pattern` would not compile, or not match the same, in the browser's grader ("" if it would)."""
    in_class, i = False, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1 : i + 2]
            if nxt not in PORTABLE_ESCAPES and not (in_class and nxt == "-"):
                return f"the escape \\{nxt} is read differently, or refused, by the browser; rewrite it"
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":
                return "an empty [] or a [ ]...] class reads differently in the browser; escape the ] as \\]"
        elif pattern.startswith("(?", i) and not re.match(r"\(\?(:|=|!|<=|<!)", pattern[i:]):
            return (
                "inline flags, named and atomic groups ((?i), (?P<name>...), (?>...)) work in Python only; "
                "answers are lower-cased before matching, so write the pattern in lower case"
            )
        elif ch in "*+?}" and pattern[i + 1 : i + 2] == "+":
            return "possessive quantifiers (a*+, a++) work in Python only"
        i += 1
    return ""


class QuizFile(Strict):
    lesson: str = Field(pattern=r"^\d\d$")
    title: str
    page: str = Field(description="the page the sections are in: lessons/NN_slug.ipynb or a docs/*.md page")
    questions: list[Question] = Field(min_length=1)
