"""Each lesson's "Your turn" section, written from the exercises' declarations (`dlcourse.exercises`):
`python -m dlcourse_tools write exercises` rewrites it in every notebook, just before "Check yourself"; a test
fails while a notebook's section differs from what this writes."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import NotebookNode

from dlcourse.exercises import Exercise, for_lesson
from dlcourse.lessons import by_name

ROOT = Path(__file__).resolve().parents[2]
HEADING = "## Your turn"
QUIZ_HEADING = "## Check yourself"

INTRO = (
    f"{HEADING}\n\n"
    "Write each function below in place of `raise NotImplementedError`, then run the cell under it. The "
    "check runs your function and the library's own call on the same inputs, a few chosen edge cases and "
    "some random ones, and says how many agree. For the first that does not, it shows the inputs, both "
    "results and the largest difference, and names the slip when it recognises a common one. Until you "
    "write something it says *not attempted*. Stuck? The comment in each check cell says how to ask for a "
    "hint, one at a time, and for a worked solution. Each exercise you pass is kept with your quiz "
    "progress: `dlcourse exercise` in a terminal shows both for every lesson."
)


def section(exercises: list[Exercise]) -> list[NotebookNode]:
    """The cells of a "Your turn" section: per exercise a heading, the task, the starter and the check."""
    cells = [_cell(nbformat.v4.new_markdown_cell(INTRO), "your-turn")]
    for number, ex in enumerate(exercises, 1):
        name = f"exercise_{number}"
        task = f'{name} = exercise("{ex.id}")\n{name}  # the task'
        if number == 1:
            task = "from dlcourse.exercises import exercise\n\n" + task
        check = (
            f"{name}.check({ex.function})\n"
            f"# Stuck? Run {name}.hint(1), then {name}.hint(2) ...; {name}.show_solution() shows a worked "
            "solution."
        )
        cells += [
            _cell(nbformat.v4.new_markdown_cell(f"### Exercise {number}: {ex.title}"), ex.anchor),
            _cell(nbformat.v4.new_code_cell(task), f"{ex.anchor}-task"),
            _cell(nbformat.v4.new_code_cell(ex.starter.strip()), f"{ex.anchor}-code"),
            _cell(nbformat.v4.new_code_cell(check), f"{ex.anchor}-check"),
        ]
    return cells


def _cell(cell: NotebookNode, cell_id: str) -> NotebookNode:
    """A cell with a fixed id (nbformat's, and Colab's in its metadata: the target of `#scrollTo=`)."""
    cell.id = cell_id
    cell.metadata["id"] = cell_id
    return cell


def _bounds(nb: NotebookNode) -> tuple[int, int]:
    """Where the section starts and where it ends (the quiz's heading)."""
    starts = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith(HEADING)]
    end = next(
        i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith(QUIZ_HEADING)
    )
    return (starts[0] if starts else end), end


def current(notebook: Path) -> list[NotebookNode]:
    nb = nbformat.read(notebook, as_version=4)
    start, end = _bounds(nb)
    return nb.cells[start:end]


def rewrite(notebook: Path) -> bool:
    """Write the lesson's section into `notebook`; True when it changed."""
    nb = nbformat.read(notebook, as_version=4)
    exercises = for_lesson(by_name(notebook.name).quiz)
    wanted = section(exercises) if exercises else []
    start, end = _bounds(nb)
    if _sources(nb.cells[start:end]) == _sources(wanted):
        return False
    nb.cells[start:end] = wanted
    nbformat.write(nb, notebook)
    return True


def _sources(cells: list[NotebookNode]) -> list[tuple[str, str, str]]:
    return [(c.cell_type, c.get("id", ""), c.source) for c in cells]


def main(argv: list[str]) -> None:
    import argparse

    argparse.ArgumentParser(
        prog="python -m dlcourse_tools write exercises",
        description="Write each lesson's Your turn section from its exercises' declarations.",
    ).parse_args(argv)
    changed = [nb.name for nb in sorted((ROOT / "lessons").glob("*.ipynb")) if rewrite(nb)]
    print(
        f"rewrote the exercises of {', '.join(changed)}"
        if changed
        else "every lesson's exercises are current"
    )
