"""Each exercise proven, as learntools' testing notebooks do: the worked solution passes against the
library, every known mistake fails with its own message, the untouched starter is "not attempted", and a
function that raises or never returns is reported in one line."""

import pytest

from dlcourse.exercises import EXERCISES, core, for_lesson
from dlcourse.exercises.core import load_function
from dlcourse.lessons import LESSONS

ALL = list(EXERCISES.values())


@pytest.fixture(autouse=True)
def own_progress_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DLCOURSE_STATE", str(tmp_path / "state.json"))


@pytest.mark.parametrize("lesson", [lesson for lesson in LESSONS if lesson.number <= 9], ids=lambda x: x.quiz)
def test_every_lesson_up_to_9_has_three_exercises_or_more(lesson):
    assert len(for_lesson(lesson.quiz)) >= 3


@pytest.mark.parametrize("ex", ALL, ids=lambda e: e.id)
def test_an_exercise_is_complete(ex):
    assert ex.lesson in {lesson.quiz for lesson in LESSONS}
    assert 2 <= len(ex.hints) <= 3 and len(set(ex.hints)) == len(ex.hints)
    assert len(ex.mistakes) >= 2, "at least two realistic wrong implementations"
    assert f"def {ex.function}(" in ex.starter and "raise NotImplementedError" in ex.starter
    assert len(ex.cases()) >= 4


@pytest.mark.parametrize("ex", ALL, ids=lambda e: e.id)
def test_the_worked_solution_passes(ex):
    report = ex.check(load_function(ex.solution, ex.function))
    assert report.status == "passed", report
    assert report.passed == report.total == len(ex.cases())
    assert repr(report).startswith(f"✓ {ex.id}: passed")


@pytest.mark.parametrize("ex", ALL, ids=lambda e: e.id)
def test_the_untouched_starter_is_not_attempted(ex):
    report = ex.check(load_function(ex.starter, ex.function))
    assert report.status == "not attempted" and "not attempted" in repr(report)
    assert "Traceback" not in repr(report) and "raised" not in repr(report)


@pytest.mark.parametrize(
    "ex, mistake",
    [(ex, m) for ex in ALL for m in ex.mistakes],
    ids=[f"{ex.id}-{i}" for ex in ALL for i, _ in enumerate(ex.mistakes)],
)
def test_each_known_mistake_fails_with_its_own_message(ex, mistake):
    report = ex.check(load_function(mistake.example, ex.function))
    assert report.status == "failed", f"the mistake passed all cases:\n{mistake.example}"
    assert report.passed < report.total
    text = repr(report)
    assert f"→ {mistake.message}" in text, text
    assert "expected" in text and "received" in text, "the failing case is shown"


@pytest.mark.parametrize("ex", ALL, ids=lambda e: e.id)
def test_an_exception_in_your_code_is_one_line_naming_the_case(ex):
    def broken(*args, **kwargs):
        return [][0]

    report = ex.check(broken)
    assert report.status == "failed" and report.passed == 0
    assert report.details.count("\n") == 0, report.details
    assert report.details.startswith(f"case 1 of {report.total} (")
    assert "IndexError: list index out of range (line" in report.details


def test_an_endless_loop_is_stopped(monkeypatch):
    monkeypatch.setattr(core, "SECONDS_PER_CASE", 0.2)

    def forever(*args, **kwargs):
        while True:
            pass

    report = ALL[0].check(forever)
    assert report.status == "failed" and report.passed == 0
    assert "stopped after 0.2 s" in report.details and report.details.count("\n") == 0


def test_a_pass_is_recorded_once_in_the_progress_file(tmp_path):
    from dlcourse.exercises.course_map import course_map
    from dlcourse.quiz.review import ReviewState

    ex = ALL[0]
    ex.check(load_function(ex.solution, ex.function))
    first = ReviewState().exercises[ex.id]
    ex.check(load_function(ex.solution, ex.function))
    assert ReviewState().exercises == {ex.id: first}
    table = course_map()
    assert table.at[ex.lesson, "exercises passed"] == f"1 / {len(for_lesson(ex.lesson))}"


def test_the_quiz_keeps_the_exercises_it_does_not_use(tmp_path):
    from dlcourse.quiz.review import ReviewState

    state = ReviewState()
    state.exercises["01.conv2d"] = 5
    state.save()
    quiz_side = ReviewState()
    quiz_side.record("01", "some-question", "correct", now_ms=10)
    quiz_side.save()
    assert ReviewState().exercises == {"01.conv2d": 5}


def run_cli(*words):
    """`dlcourse exercise WORDS` through the command's own `main`, in this process: (status, out, err)."""
    import contextlib
    import io

    from dlcourse.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["exercise", *words])
    return status, out.getvalue(), err.getvalue()


def test_check_grades_the_functions_a_file_defines_and_records_the_passes(tmp_path):
    conv, size = EXERCISES["01.conv2d"], EXERCISES["01.output_size"]
    mine = tmp_path / "mine.py"
    mine.write_text(conv.solution + "\n\n" + size.mistakes[0].example)
    status, out, err = run_cli("check", str(mine))
    assert status == 1, err
    assert "✓ 01.conv2d: passed" in out
    assert "✗ 01.output_size: failed" in out and f"→ {size.mistakes[0].message}" in out
    progress = run_cli()[1]
    row = next(line for line in progress.splitlines() if line.startswith("01 "))
    assert f"1 / {len(for_lesson('01'))}" in row, progress
    mine.write_text(conv.solution)
    assert run_cli("check", str(mine))[0] == 0


@pytest.mark.parametrize(
    "content, message",
    [
        ("def unrelated():\n    pass\n", "defines none of the exercises' functions ("),
        ("import numpy as np\nnp.zeros(\n", "could not be run: SyntaxError"),
    ],
)
def test_a_file_that_cannot_be_graded_gets_one_line_naming_the_fix(tmp_path, content, message):
    bad = tmp_path / "mine.py"
    bad.write_text(content)
    status, _, err = run_cli("check", str(bad))
    assert status == 2 and err.startswith("error: ") and message in err, err
    assert err.count("\n") == 1 and bad.read_text() == content, "one line, and the file is untouched"


def test_a_lesson_is_listed_with_tasks_and_starters_and_hints_come_by_number():
    listing = run_cli("01")[1]
    for ex in for_lesson("01"):
        assert ex.id in listing and ex.starter.strip().splitlines()[0] in listing
    status, hint, _ = run_cli("hint", "01.conv2d", "2")
    assert status == 0 and EXERCISES["01.conv2d"].hints[1][:40] in hint
    assert "def conv2d(" in run_cli("solution", "01.conv2d")[1]
    status, _, err = run_cli("hint", "01.conv2d", "9")
    assert status == 2 and "has hints 1 to 3" in err


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda x: x.name)
def test_each_lesson_has_its_exercises_as_declared_before_the_quiz(lesson):
    from dlcourse_tools import your_turn

    from support import ROOT

    exercises = for_lesson(lesson.quiz)
    wanted = your_turn.section(exercises) if exercises else []
    found = your_turn.current(ROOT / lesson.notebook)
    assert [(c.cell_type, c.source) for c in found] == [(c.cell_type, c.source) for c in wanted], (
        "the notebook's Your turn section is not the exercises' declaration: "
        "run `python -m dlcourse_tools write exercises`"
    )


@pytest.mark.parametrize(
    "lesson", [lesson for lesson in LESSONS if for_lesson(lesson.quiz)], ids=lambda x: x.name
)
def test_the_executed_lesson_shows_each_exercise_not_attempted_without_errors(executed_lessons, lesson):
    import nbformat

    nb = nbformat.read(executed_lessons[f"{lesson.name}.ipynb"].executed, as_version=4)
    by_id = {c.get("id"): c for c in nb.cells}
    for ex in for_lesson(lesson.quiz):
        task, check = by_id[f"{ex.anchor}-task"], by_id[f"{ex.anchor}-check"]
        assert ex.prompt[:60] in task.outputs[0]["data"]["text/markdown"]
        [shown] = [o["data"]["text/plain"] for o in check.outputs if o.output_type == "execute_result"]
        assert "not attempted yet" in shown, shown
        assert not [o for o in (*task.outputs, *check.outputs) if o.output_type in ("error", "stream")]
