"""`dlcourse exercise`: the course map, a lesson's exercises, hints and solutions, and grading a file."""

from __future__ import annotations

import runpy
import sys
import textwrap
from pathlib import Path

from dlcourse.exercises.core import Exercise, Report
from dlcourse.exercises.registry import EXERCISES, exercise, for_lesson


class ExerciseFileError(ValueError):
    """A file to grade that cannot be graded, with what to do about it."""


def show_map() -> None:
    from dlcourse.exercises.course_map import course_map

    print(course_map().to_string())
    print(
        "\n`dlcourse exercise NN` lists a lesson's exercises; `dlcourse exercise check FILE.py` grades yours."
    )


def show_lesson(lesson: str) -> None:
    exercises = for_lesson(lesson)
    if not exercises:
        raise ExerciseFileError(
            f"lesson {lesson} has no exercises; the lessons with exercises are {_lessons()}"
        )
    for ex in exercises:
        print(f"== {ex.id}: {ex.title} (write `{ex.function}`)\n")
        print(textwrap.fill(ex.prompt, 100) + "\n")
        print(textwrap.indent(ex.starter.strip(), "    ") + "\n")
    print(
        "Write the functions in a file, then `dlcourse exercise check FILE.py`. Hints: "
        f"`dlcourse exercise hint {exercises[0].id} 1`; a worked solution: "
        f"`dlcourse exercise solution {exercises[0].id}`."
    )


def _lessons() -> str:
    return ", ".join(sorted({ex.lesson for ex in EXERCISES.values()}))


def check_file(path: Path, lesson: str | None = None) -> list[Report]:
    """Grade every function in `path` whose name is an exercise's (of `lesson`, when given)."""
    if not path.is_file():
        raise ExerciseFileError(f"{path} is not a file; give the .py file your functions are in")
    candidates = for_lesson(lesson) if lesson else list(EXERCISES.values())
    try:
        namespace = runpy.run_path(str(path), run_name="learner")
    except Exception as err:  # the learner's file: one line, naming where
        raise ExerciseFileError(f"{path} could not be run: {type(err).__name__}: {err}") from err
    found: dict[str, list[Exercise]] = {}
    for ex in candidates:
        if callable(namespace.get(ex.function)):
            found.setdefault(ex.function, []).append(ex)
    if not found:
        names = ", ".join(sorted({ex.function for ex in candidates}))
        raise ExerciseFileError(f"{path} defines none of the exercises' functions ({names})")
    reports = []
    for name, exercises in found.items():
        if len(exercises) > 1:
            ids = ", ".join(ex.id for ex in exercises)
            raise ExerciseFileError(
                f"`{name}` is the function of several exercises ({ids}): add --lesson NN to say which"
            )
        reports.append(exercises[0].check(namespace[name]))
    return reports


def main(words: list[str], lesson: str | None) -> int:
    """The `dlcourse exercise` command; returns the exit status."""
    try:
        match words:
            case []:
                show_map()
            case [number] if number.isdigit():
                show_lesson(number)
            case ["hint", exercise_id, *level] if len(level) <= 1:
                print(exercise(exercise_id).hint(int(level[0]) if level else 1))
            case ["solution", exercise_id]:
                print(exercise(exercise_id).show_solution())
            case ["check", file]:
                reports = check_file(Path(file), lesson)
                for report in reports:
                    print(report, end="\n\n")
                return 0 if all(r.status == "passed" for r in reports) else 1
            case _:
                print(
                    "usage: dlcourse exercise [NN | check FILE.py [--lesson NN] | hint ID [N] | solution ID]",
                    file=sys.stderr,
                )
                return 2
    except (ExerciseFileError, KeyError, ValueError) as err:
        print(f"error: {err.args[0] if err.args else err}", file=sys.stderr)
        return 2
    return 0
