"""Quizzes in the terminal: interactive (questionary + rich), review of what is due, and file grading."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table

from dlcourse.quiz.bank import Quiz, QuizFileError, load_bank, load_quiz
from dlcourse.quiz.client import page_url
from dlcourse.quiz.grading import grade
from dlcourse.quiz.review import ReviewState
from dlcourse.quiz.schema import Question
from dlcourse.site.links import SITE_URL

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
) -> tuple[int, int]:
    """Ask each question until the answer can be graded; show verdicts; return (correct, asked)."""
    right = asked = 0
    for i, (quiz, q) in enumerate(questions, start=1):
        console.print(
            Panel(
                Markdown(q.prompt),
                title=f"Question {i} of {len(questions)} · {quiz.title}",
                title_align="left",
            )
        )
        while True:
            response = ask(q)
            if response is None:
                console.print("Stopped. Your answers so far are saved.")
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
        state.record(quiz.lesson, q.id, verdict.status)
        state.save()
    return right, asked


def take_quiz(
    lesson: str | None,
    review: bool,
    console: Console | None = None,
    ask: Callable[[Question], Any] = ask_with_questionary,
    state: ReviewState | None = None,
) -> int:
    console = console or Console()
    state = state or ReviewState()
    if state.warning:
        console.print(f"[yellow]{state.warning}[/]")
    if review:
        by_id = {q.id: (quiz, q) for quiz in load_bank() for q in quiz.questions}
        due = [by_id[qid] for qid in state.due() if qid in by_id]
        if not due:
            console.print("Nothing is due for review. Take a lesson's quiz first, or come back later.")
            return 0
        questions = due
    else:
        quizzes = [load_quiz(lesson)] if lesson else load_bank()
        questions = [(quiz, q) for quiz in quizzes for q in quiz.questions]
    right, asked = run(questions, state, console, ask)
    table = Table(title="Your score")
    table.add_column("answered")
    table.add_column("correct")
    table.add_column("score")
    table.add_row(str(asked), str(right), f"{right / asked:.0%}" if asked else "-")
    console.print(table)
    return 0


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
        "total": len(quiz.questions),
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
