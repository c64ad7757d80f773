"""Quizzes in the terminal: interactive (questionary + rich), review of what is due, and file grading."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table

from dlcourse.links import SITE_URL
from dlcourse.quiz.bank import Item, Quiz, QuizFileError, load_bank, load_quiz
from dlcourse.quiz.client import page_url
from dlcourse.quiz.grading import grade
from dlcourse.quiz.review import ReviewState, pick_variants, question_id
from dlcourse.quiz.schema import Question

STYLE = {"correct": "bold green", "incorrect": "bold red", "invalid": "bold yellow"}


def ask_with_questionary(q: Question) -> Any:
    """One answer from the keyboard; None if the learner pressed Ctrl-C."""
    import questionary

    if q.type == "single":
        choices = [questionary.Choice(title=c.text, value=c.id) for c in q.choices]
        return questionary.select("Your answer:", choices=choices).ask()
    if q.type == "multi":
        choices = [questionary.Choice(title=c.text, value=c.id) for c in q.choices]
        return questionary.checkbox(
            "Select all that apply (space to select, enter to confirm):", choices=choices
        ).ask()
    return questionary.text("Your answer:").ask()


def run(
    questions: list[tuple[Quiz, Question]],
    state: ReviewState,
    console: Console,
    ask: Callable[[Question], Any] = ask_with_questionary,
    attempt: dict | None = None,
    first: int = 1,
    total: int | None = None,
) -> tuple[int, int]:
    """Ask each question until the answer can be graded; show verdicts; return (correct, asked).
    Progress is kept under the question's id (not the variant's); `attempt` records each verdict."""
    right = asked = 0
    total = total or len(questions)
    for i, (quiz, q) in enumerate(questions, start=first):
        mark = " · computed" if question_id(q.id) != q.id else ""
        console.print(
            Panel(
                Markdown(q.prompt), title=f"Question {i} of {total}{mark} · {quiz.title}", title_align="left"
            )
        )
        while True:
            response = ask(q)
            if response is None:
                console.print("Stopped. Your answers so far are saved; run the same command to go on.")
                state.save()
                return right, asked
            verdict = grade(q, response)
            if verdict.status != "invalid":
                break
            console.print(f"[{STYLE['invalid']}]{verdict.message}[/] Try again.")
        asked += 1
        right += verdict.status == "correct"
        console.print(f"[{STYLE[verdict.status]}]{verdict.message}[/]")
        for sentence in verdict.feedback:
            console.print(f"  • {sentence}")
        console.print(Markdown(f"**Why:** {q.explanation}"))
        console.print(f"[dim]Read more: {SITE_URL}{page_url(quiz.page)}#{q.section}[/]\n")
        state.record(quiz.lesson, question_id(q.id), verdict.status)
        if attempt is not None:
            attempt["answered"][question_id(q.id)] = verdict.status
        state.save()
    return right, asked


def take_quiz(
    lesson: str | None,
    review: bool,
    console: Console | None = None,
    ask: Callable[[Question], Any] = ask_with_questionary,
    state: ReviewState | None = None,
    rng: random.Random | None = None,
    new: bool = False,
) -> int:
    """A lesson's quiz (or every lesson's), one variant of each question, going on where the learner
    stopped; or the questions due for review, each in a fresh variant."""
    console = console or Console()
    state = state or ReviewState()
    rng = rng or random.Random()
    if state.warning:
        console.print(f"[yellow]{state.warning}[/]")
    if review:
        items = {item.id: (quiz, item) for quiz in load_bank() for item in quiz.items}
        due = [items[qid] for qid in state.due() if qid in items]
        if not due:
            console.print("Nothing is due for review. Take a lesson's quiz first, or come back later.")
            return 0
        picks = pick_variants([item for _, item in due], None, None, rng)
        questions = [(quiz, _variant(item, picks[item.id])) for quiz, item in due]
        right, asked = run(questions, state, console, ask)
        _score(console, right, asked, asked)
        return 0
    for quiz in [load_quiz(lesson)] if lesson else load_bank():
        attempt = state.attempt(quiz, rng, new)
        done = attempt["answered"]
        if done:
            console.print(
                f"Going on with your attempt at lesson {quiz.lesson}: {len(done)} of {len(quiz.items)} "
                f"answered. `dlcourse quiz {quiz.lesson} --new` starts again with new questions."
            )
        todo = [
            (quiz, _variant(item, attempt["picks"][item.id])) for item in quiz.items if item.id not in done
        ]
        _, asked = run(todo, state, console, ask, attempt, first=len(done) + 1, total=len(quiz.items))
        right = sum(status == "correct" for status in done.values())
        _score(console, right, len(done), len(quiz.items))
        if asked < len(todo):
            break
    return 0


def _variant(item: Item, variant_id: str) -> Question:
    return next(q for q in item.variants if q.id == variant_id)


def _score(console: Console, right: int, answered: int, total: int) -> None:
    table = Table(title="Your score")
    for column in ("questions", "answered", "correct", "score"):
        table.add_column(column)
    table.add_row(str(total), str(answered), str(right), f"{right / answered:.0%}" if answered else "-")
    console.print(table)


MAX_ANSWERS_FILE = 1_000_000  # bytes: far more than a quiz's answers need


def grade_file(path: Path) -> dict:
    """Grade an answers file (lesson: "01", answers: {question id: response}) into a JSON-ready report."""
    try:
        if Path(path).stat().st_size > MAX_ANSWERS_FILE:
            raise QuizFileError(
                f"{path}: the answers file is over {MAX_ANSWERS_FILE:,} bytes; it needs one short answer "
                "per question"
            )
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise QuizFileError(f"{path}: not UTF-8 text ({err.reason}); save the file as UTF-8") from None
    except RecursionError:
        raise QuizFileError(
            f"{path}: nested too deeply to be an answers file (one answer per question)"
        ) from None
    except (OSError, yaml.YAMLError) as err:
        raise QuizFileError(f"{path}: cannot read the answers file: {err}") from None
    if not isinstance(data, dict) or "lesson" not in data or not isinstance(data.get("answers"), dict):
        raise QuizFileError(f'{path}: expected `lesson: "01"` and `answers:` mapping question ids to answers')
    quiz = load_quiz(str(data["lesson"]))
    answers = {str(k): _as_response(v) for k, v in data["answers"].items()}
    results = []
    for q in quiz.questions:
        if q.id in answers:
            results.append({"id": q.id, **grade(q, answers[q.id]).to_dict()})
    known = {q.id for q in quiz.questions}
    return {
        "lesson": quiz.lesson,
        "total": len(quiz.items),
        "answered": len(results),
        "correct": sum(r["status"] == "correct" for r in results),
        "results": results,
        "unknown_ids": sorted(set(answers) - known),
    }


def _as_response(value: Any) -> Any:
    """YAML turns `4` into an int; the grader takes text, as typed."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def print_report(path: Path) -> None:
    print(json.dumps(grade_file(path), indent=2, ensure_ascii=False))
