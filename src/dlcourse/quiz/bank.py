"""Load, expand and lint the quiz bank (`quiz/NN_slug.yml`)."""

from __future__ import annotations

import importlib
import json
import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from dlcourse.quiz.schema import Question, QuizFile


class QuizFileError(ValueError):
    """A quiz file that cannot be used, naming the file, the question and the fix."""


@dataclass(frozen=True)
class Quiz:
    """One lesson's quiz, with computed questions expanded into their variants."""

    path: Path
    lesson: str
    title: str
    page: str
    questions: list[Question]
    n_computed: int  # how many bank entries are computed by the library


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
        for q in quiz.questions:
            if q.id in seen:
                problems.append(f"{quiz.path.name}: question '{q.id}': id already used in {seen[q.id].name}")
            seen[q.id] = quiz.path
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


def variant_maker(name: str) -> Callable[[random.Random], tuple[dict, float]]:
    module, _, attr = name.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        raise QuizFileError(f"compute.function {name!r} is not a function of dlcourse") from None


def make_variants(question: Question) -> list[tuple[dict, float]]:
    """Run the question's function with its fixed seed: a list of (parameters, answer)."""
    rng = random.Random(question.compute.seed)
    maker = variant_maker(question.compute.function)
    try:
        return [maker(rng) for _ in range(question.compute.variants)]
    except Exception as err:  # the function is the course's own code: report it, do not crash
        raise QuizFileError(f"{question.compute.function} raised {type(err).__name__}: {err}") from None


def _expand(path: Path, quiz: QuizFile) -> Quiz:
    questions: list[Question] = []
    n_computed = 0
    for q in quiz.questions:
        if q.compute is None:
            questions.append(q)
            continue
        n_computed += 1
        try:
            variants = make_variants(q)
        except QuizFileError as err:
            raise QuizFileError(f"{path.name}: question '{q.id}': {err}") from None
        for i, (params, answer) in enumerate(variants, start=1):
            fields = {**params, "answer": _fmt(answer)}
            try:
                prompt, explanation = q.prompt.format(**fields), q.explanation.format(**fields)
            except (KeyError, IndexError, ValueError) as err:
                raise QuizFileError(
                    f"{path.name}: question '{q.id}': prompt/explanation field {err} is not among the "
                    f"function's parameters {sorted(fields)}"
                ) from None
            questions.append(
                q.model_copy(
                    update={
                        "id": f"{q.id}-v{i}",
                        "prompt": prompt,
                        "explanation": explanation,
                        "answer": float(answer),
                        "compute": None,
                    }
                )
            )
    return Quiz(path, quiz.lesson, quiz.title, quiz.page, questions, n_computed)


def _fmt(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


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
        for q in quiz.questions:
            if q.type == "numeric" and q.tolerance is None and not float(q.answer).is_integer():
                problems.append(
                    f"{quiz.path.name}: question '{q.id}': answer {q.answer:g} is not a whole number, so it "
                    "needs a tolerance (abs and/or rel); state the precision expected in the prompt"
                )
            if q.section not in anchors:
                problems.append(
                    f"{quiz.path.name}: question '{q.id}': section '{q.section}' is not a heading "
                    f"of {quiz.page}; headings: {', '.join(sorted(anchors))}"
                )
        for q in _parse(quiz.path).questions:
            if q.compute and make_variants(q) != make_variants(q):
                problems.append(
                    f"{quiz.path.name}: question '{q.id}': {q.compute.function} gives different "
                    "answers for the same seed; make it depend only on the rng it is given"
                )
    return problems
