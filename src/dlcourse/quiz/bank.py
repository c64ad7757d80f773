"""Load, expand and lint the quiz bank (`quiz/NN_slug.yml`)."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from dlcourse.quiz.grading import grade
from dlcourse.quiz.schema import Precision, Question, QuizFile


class QuizFileError(ValueError):
    """A quiz file that cannot be used, naming the file, the question and the fix."""


@dataclass(frozen=True)
class Variant:
    """What a computed question's function returns for one draw.

    `other_readings`: answers another correct reading of the prompt gives (a tie for the steepest drop,
    another counting convention); each must pass the tolerance, or the key is ambiguous.
    `mistakes`: answers of tempting wrong methods; each must fail the tolerance.
    """

    params: dict
    answer: float
    other_readings: dict[str, float] = field(default_factory=dict)
    mistakes: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    """One question of the bank: a fixed question, or a computed one with its variants.

    A learner sees one variant per attempt; progress and review are kept under the item's id."""

    id: str
    variants: list[Question]
    computed: list[Variant] = field(default_factory=list)  # what the function returned, per variant


@dataclass(frozen=True)
class Quiz:
    """One lesson's quiz, with computed questions expanded into their variants."""

    path: Path
    lesson: str
    title: str
    page: str
    items: list[Item]

    @property
    def questions(self) -> list[Question]:
        """Every variant of every item (a fixed question is its own single variant)."""
        return [q for item in self.items for q in item.variants]

    @property
    def n_computed(self) -> int:
        return sum(bool(item.computed) for item in self.items)


def bank_dir() -> Path:
    """The `quiz/` folder: $DLCOURSE_QUIZ_DIR, else the checkout's, else the copy installed with dlcourse."""
    if os.environ.get("DLCOURSE_QUIZ_DIR"):
        return Path(os.environ["DLCOURSE_QUIZ_DIR"])
    checkout = Path(__file__).resolve().parents[3] / "quiz"
    if checkout.is_dir():
        return checkout
    installed = Path(str(resources.files("dlcourse.quiz") / "data"))
    if installed.is_dir():
        return installed
    raise FileNotFoundError("no quiz bank found: set DLCOURSE_QUIZ_DIR to the course's quiz/ folder")


def quiz_files(directory: Path | None = None) -> list[Path]:
    return sorted((directory or bank_dir()).glob("[0-9][0-9]_*.yml"))


def load_quiz(lesson_or_path: str | Path, directory: Path | None = None) -> Quiz:
    """Load one lesson's quiz by number ("01") or path."""
    path = Path(lesson_or_path)
    if not path.suffix:
        matches = [p for p in quiz_files(directory) if p.name.startswith(f"{str(lesson_or_path).zfill(2)}_")]
        if not matches:
            known = ", ".join(p.name[:2] for p in quiz_files(directory))
            raise QuizFileError(f"no quiz for lesson {lesson_or_path!r}; lessons with a quiz: {known}")
        path = matches[0]
    return _expand(path, _parse(path))


def load_bank(directory: Path | None = None) -> list[Quiz]:
    """Every quiz of the bank, checked for ids unique across files."""
    quizzes = [load_quiz(p) for p in quiz_files(directory)]
    problems = duplicate_ids(quizzes)
    if problems:
        raise QuizFileError("\n".join(problems))
    return quizzes


def duplicate_ids(quizzes: list[Quiz]) -> list[str]:
    seen: dict[str, Path] = {}
    problems = []
    for quiz in quizzes:
        for item in quiz.items:
            if item.id in seen:
                problems.append(
                    f"{quiz.path.name}: question '{item.id}': id already used in {seen[item.id].name}"
                )
            seen[item.id] = quiz.path
    return problems


def _parse(path: Path) -> QuizFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise QuizFileError(f"{path.name}: not valid YAML: {err}") from None
    if not isinstance(raw, dict):
        raise QuizFileError(f"{path.name}: expected a mapping with lesson, title, page and questions")
    try:
        quiz = QuizFile.model_validate(raw)
    except ValidationError as err:
        questions = raw.get("questions") if isinstance(raw.get("questions"), list) else []
        problems = []
        for e in err.errors():
            loc = list(e["loc"])
            where = "file"
            if len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int):
                entry = questions[loc[1]] if loc[1] < len(questions) else {}
                qid = entry.get("id") if isinstance(entry, dict) else None
                where = f"question '{qid}'" if qid else f"question #{loc[1] + 1} (no id)"
                loc = loc[2:]
            field = ".".join(str(x) for x in loc if not str(x).startswith("function-")) or "question"
            problems.append(f"{path.name}: {where}: {field}: {e['msg']}")
        raise QuizFileError("\n".join(problems)) from None
    ids = [q.id for q in quiz.questions]
    for qid in {i for i in ids if ids.count(i) > 1}:
        raise QuizFileError(f"{path.name}: question '{qid}': id used twice in this file; make it unique")
    expected = path.name[:2]
    if quiz.lesson != expected:
        raise QuizFileError(f"{path.name}: lesson is '{quiz.lesson}' but the file name says '{expected}'")
    return quiz


def variant_maker(name: str) -> Callable[[random.Random], Variant | tuple[dict, float]]:
    module, _, attr = name.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        raise QuizFileError(f"compute.function {name!r} is not a function of dlcourse") from None


MAX_DRAWS = 50  # per variant asked for


def make_variants(question: Question) -> list[Variant]:
    """Run the question's function with its fixed seed until it gives `variants` different draws: no two
    with the same parameters or the same answer (a retry must ask something new)."""
    rng = random.Random(question.compute.seed)
    maker = variant_maker(question.compute.function)
    wanted = question.compute.variants
    variants: list[Variant] = []
    for _ in range(MAX_DRAWS * wanted):
        try:
            made = maker(rng)
        except Exception as err:  # the function is the course's own code: report it, do not crash
            raise QuizFileError(f"{question.compute.function} raised {type(err).__name__}: {err}") from None
        variant = made if isinstance(made, Variant) else Variant(*made)
        if all(variant.params != v.params and _fmt(variant.answer) != _fmt(v.answer) for v in variants):
            variants.append(variant)
            if len(variants) == wanted:
                return variants
    raise QuizFileError(
        f"{question.compute.function} gives only {len(variants)} different variant(s) in "
        f"{MAX_DRAWS * wanted} draws, {wanted} asked for (duplicates repeat the parameters or the answer): "
        "lower `variants` or give the function more settings to draw from"
    )


def _expand(path: Path, quiz: QuizFile) -> Quiz:
    items: list[Item] = []
    for q in quiz.questions:
        if q.compute is None:
            items.append(Item(q.id, [_as_shown(q)]))
            continue
        try:
            made = make_variants(q)
        except QuizFileError as err:
            raise QuizFileError(f"{path.name}: question '{q.id}': {err}") from None
        variants = []
        for i, variant in enumerate(made, start=1):
            fields = {**variant.params, "answer": _fmt(variant.answer)}
            try:
                prompt, explanation = q.prompt.format(**fields), q.explanation.format(**fields)
            except (KeyError, IndexError, ValueError) as err:
                raise QuizFileError(
                    f"{path.name}: question '{q.id}': prompt/explanation field {err} is not among the "
                    f"function's parameters {sorted(fields)}"
                ) from None
            update = {"id": f"{q.id}-v{i}", "prompt": prompt, "explanation": explanation, "compute": None}
            variants.append(_as_shown(q.model_copy(update={**update, "answer": float(variant.answer)})))
        items.append(Item(q.id, variants, made))
    return Quiz(path, quiz.lesson, quiz.title, quiz.page, items)


def _as_shown(q: Question) -> Question:
    """The question as every client shows it: the precision expected stated under the prompt, and the
    choices in a fixed order drawn from their ids, so that the correct one is not always where the bank
    lists it."""
    update = {}
    if q.precision is not None:
        update["prompt"] = f"{q.prompt.rstrip()}\n\n{q.precision.sentence()}"
    if q.choices:
        update["choices"] = sorted(
            q.choices, key=lambda c: hashlib.sha256(f"{q.id}/{c.id}".encode()).digest()
        )
    return q.model_copy(update=update)


def _fmt(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def at_precision(answer: float, precision: Precision) -> str:
    """The answer as a learner who rounds at the stated precision types it (halves rounded up)."""
    value = Decimal(repr(float(answer)))
    if precision.decimals is not None:
        exponent = -precision.decimals
    else:
        exponent = value.adjusted() - precision.significant + 1 if value else 0
    rounded = value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)
    return f"{rounded:f}" if -12 < exponent < 12 else f"{rounded:E}"


# --- lint ----------------------------------------------------------------------------------------


def heading_anchors(page: Path) -> set[str]:
    """Anchors of the headings of a lesson notebook or a docs page, as the site renders them."""
    if page.suffix == ".ipynb":
        from mkdocs_jupyter.utils import slugify as nb_slugify

        cells = json.loads(page.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        titles = _headings(text)
        return {nb_slugify(re.sub(r"[`*]", "", t)) for t in titles}
    from markdown.extensions.toc import slugify

    return {slugify(re.sub(r"[`*_]", "", t), "-") for t in _headings(page.read_text(encoding="utf-8"))}


def _headings(markdown_text: str) -> list[str]:
    text = re.sub(r"```.*?```", "", markdown_text, flags=re.DOTALL)
    return [m.group(1).strip() for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, flags=re.MULTILINE)]


def page_path(root: Path, page: str) -> Path:
    """Where a quiz's `page` lives in the repository: lessons/ or docs/."""
    return root / page if page.startswith("lessons/") else root / "docs" / page


def lint(quiz_dir: Path | None = None) -> list[str]:
    """Every problem of the bank in `quiz_dir` (default: `bank_dir()`, the one `dlcourse quiz` reads), as
    'file: question: what to fix' lines. Pages are looked up beside it: `quiz_dir`/../lessons and ../docs."""
    quiz_dir = Path(quiz_dir or bank_dir())
    root = quiz_dir.parent
    files = quiz_files(quiz_dir) if quiz_dir.is_dir() else []
    if not files:
        where = "does not exist" if not quiz_dir.is_dir() else "has no quiz files (NN_slug.yml)"
        return [f"{quiz_dir} {where}: point DLCOURSE_QUIZ_DIR at the course's quiz/ folder"]
    problems: list[str] = []
    quizzes = []
    for path in files:
        try:
            quizzes.append(load_quiz(path))
        except QuizFileError as err:
            problems.extend(str(err).splitlines())
    problems.extend(duplicate_ids(quizzes))
    for quiz in quizzes:
        page = page_path(root, quiz.page)
        if not page.exists():
            problems.append(f"{quiz.path.name}: page {quiz.page!r} does not exist")
            continue
        anchors = heading_anchors(page)
        for item in quiz.items:
            if item.variants[0].section not in anchors:
                problems.append(
                    f"{quiz.path.name}: question '{item.id}': section '{item.variants[0].section}' is not a "
                    f"heading of {quiz.page}; headings: {', '.join(sorted(anchors))}"
                )
            problems.extend(f"{quiz.path.name}: question '{qid}': {p}" for qid, p in answer_problems(item))
            problems.extend(f"{quiz.path.name}: question '{item.id}': {p}" for p in long_key(item))
        problems.extend(f"{quiz.path.name}: {p}" for p in length_giveaways(quiz))
        problems.extend(f"{quiz.path.name}: {p}" for p in multi_answer_variety(quiz))
        for q in _parse(quiz.path).questions:
            if q.compute and make_variants(q) != make_variants(q):
                problems.append(
                    f"{quiz.path.name}: question '{q.id}': {q.compute.function} gives different "
                    "answers for the same seed; make it depend only on the rng it is given"
                )
    return problems


MAX_EXTREME_CORRECT = 0.4  # of a quiz's single-choice questions; by chance about 1 in the number of choices


def length_giveaways(quiz: Quiz) -> list[str]:
    """A quiz where the correct choice is usually the longest (or the shortest) one teaches learners to pick
    by length."""
    singles = [item.variants[0] for item in quiz.items if item.variants[0].type == "single"]
    problems = []
    for extreme, fix in (
        ("longest", "make the key as short as the others, or a wrong choice as detailed as the key"),
        ("shortest", "give the key the detail the wrong choices have, or shorten a wrong choice"),
    ):
        keys = [q.id for q in singles if _correct_is(q, extreme)]
        if len(singles) >= 5 and len(keys) > MAX_EXTREME_CORRECT * len(singles):
            problems.append(
                f"the correct choice is the {extreme} in {len(keys)} of {len(singles)} single-choice "
                f"questions (at most {MAX_EXTREME_CORRECT:.0%} may be): {fix}, in some of {', '.join(keys)}"
            )
    return problems


def _correct_is(q: Question, extreme: str) -> bool:
    """Whether the correct choice is strictly the longest (or shortest) of `q`'s choices."""
    sign = -1 if extreme == "longest" else 1
    lengths = sorted((sign * len(c.text), not c.correct) for c in q.choices)
    return not lengths[0][1] and lengths[0][0] < lengths[1][0]


MAX_KEY_RATIO = 1.4  # a key this many times as long as every wrong choice stands out on its own


def long_key(item: Item) -> list[str]:
    """A single-choice key far longer than every wrong choice: the length alone points at it."""
    q = item.variants[0]
    if q.type != "single":
        return []
    key = next(len(c.text) for c in q.choices if c.correct)
    longest_wrong = max(len(c.text) for c in q.choices if not c.correct)
    if key < MAX_KEY_RATIO * longest_wrong:
        return []
    return [
        f"the correct choice is {key / longest_wrong:.1f} times as long as the longest wrong one "
        f"({key} against {longest_wrong} characters; under {MAX_KEY_RATIO:g} times, please): shorten it, "
        "or give a wrong choice the same detail"
    ]


MIN_MULTI_FOR_VARIETY = 3


def multi_answer_variety(quiz: Quiz) -> list[str]:
    """Multi-select questions that all have the same number of wrong (or correct) choices teach learners
    to count instead of to judge each choice."""
    multis = [item.variants[0] for item in quiz.items if item.variants[0].type == "multi"]
    if len(multis) < MIN_MULTI_FOR_VARIETY:
        return []
    problems = []
    for kind, wanted in (("wrong", False), ("correct", True)):
        counts = {sum(c.correct == wanted for c in q.choices) for q in multis}
        if len(counts) == 1:
            problems.append(
                f"all {len(multis)} multi-select questions have exactly {counts.pop()} {kind} choice(s): "
                f"vary the number in some of {', '.join(q.id for q in multis)}"
            )
    return problems


def answer_problems(item: Item) -> list[tuple[str, str]]:
    """(variant id, problem) for numeric keys a learner could not match or that more than one method meets."""

    def passes(q: Question, value: float | str) -> bool:
        return grade(q, value if isinstance(value, str) else repr(float(value))).status == "correct"

    problems = []
    made = item.computed or [None] * len(item.variants)
    for q, variant in zip(item.variants, made, strict=True):
        if q.type != "numeric":
            continue
        if q.precision is None and not float(q.answer).is_integer():
            problems.append(
                (
                    q.id,
                    f"answer {q.answer:g} is not a whole number, so the precision expected must be stated: "
                    "add `precision: {decimals: n}` or `{significant: n}` and a tolerance that accepts it",
                )
            )
        if q.precision is not None:
            typed = at_precision(q.answer, q.precision)
            if not passes(q, typed):
                need = abs(Decimal(typed) - Decimal(repr(q.answer)))
                problems.append(
                    (
                        q.id,
                        f"the key {q.answer:g} at the stated precision is {typed}, which fails the "
                        f"tolerance (it is {need:g} away): widen the tolerance or ask for more precision",
                    )
                )
        for why, value in variant.other_readings.items() if variant else []:
            if not passes(q, value):
                problems.append(
                    (
                        q.id,
                        f"has more than one correct answer: {why} gives {value:g}, the key is {q.answer:g}",
                    )
                )
        for why, value in variant.mistakes.items() if variant else []:
            if passes(q, value):
                problems.append(
                    (
                        q.id,
                        f"the mistake '{why}' gives {value:g}, which passes as correct (key {q.answer:g}): "
                        "choose settings where the methods differ, or a tighter tolerance",
                    )
                )
    return problems
