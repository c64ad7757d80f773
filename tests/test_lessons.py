"""Lesson notebooks: committed clean, install what this repo releases, execute offline in budget."""

import re
import tomllib

import nbformat
import pytest

from conftest import LESSONS, ROOT

BUDGET_S = 90  # a lesson must run offline on a 2-core CPU in about a minute


def mkdocs_config():
    from mkdocs.config import load_config

    return load_config(str(ROOT / "mkdocs.yml"))


def test_lessons_exist_and_are_named_nn_slug():
    assert LESSONS, "no lessons found in lessons/"
    for nb in LESSONS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", nb.name), nb.name


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_committed_without_outputs(notebook):
    nb = nbformat.read(notebook, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{notebook.name}: cells {dirty} have outputs; run `make strip` before committing"


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_install_cell_pins_this_repository_and_release(notebook):
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    repo_url = mkdocs_config().repo_url
    source = "\n".join(c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code")
    assert f"dlcourse @ git+{repo_url}@v{version}" in source
    assert "torch" not in re.findall(r'"dlcourse @ [^"]*"', source)[0]


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_first_cell_links_to_colab_from_the_configured_repository(notebook):
    from dlcourse.site.links import colab_url

    first = nbformat.read(notebook, as_version=4).cells[0]
    assert first.cell_type == "markdown"
    assert f"[Open in Colab]({colab_url(mkdocs_config().repo_url, notebook.name)})" in first.source


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_executes_offline_top_to_bottom(executed_lessons, notebook):
    lesson = executed_lessons[notebook.name]
    print(f"{notebook.name}: {lesson.metadata['seconds']} s on {lesson.metadata['device']}")
    assert lesson.metadata["mode"] == "offline"
    assert lesson.metadata["seconds"] < BUDGET_S, f"{notebook.name} took {lesson.metadata['seconds']} s"
    nb = nbformat.read(lesson.executed, as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code_cells), "every code cell ran"
    assert not [o for c in code_cells for o in c.outputs if o.output_type == "error"]


def test_lesson_1_shows_the_photo_filtered_by_every_named_kernel(executed_lessons):
    from dlcourse.kernels import KERNEL_NAMES

    nb = nbformat.read(executed_lessons["01_convolutions.ipynb"].executed, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    text = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs)
    pngs = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) >= 8
    assert "top-left value equals the worked sum: True" in text
    assert "same result: True" in text
    assert "two linear layers == one layer: True" in text
    gallery = next(c for c in nb.cells if c.cell_type == "code" and "for name in K.KERNEL_NAMES}" in c.source)
    figures = [o["data"] for o in gallery.outputs if "image/png" in o.get("data", {})]
    assert f"with {len(KERNEL_NAMES)} Axes" in figures[-1]["text/plain"], "one panel per named kernel"


def stdout_of(executed_lessons, name: str) -> str:
    nb = nbformat.read(executed_lessons[name].executed, as_version=4)
    return "".join(
        o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "stream" and o.name == "stdout"
    )


def number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not found in the lesson's output"
    return float(match.group(1))


def test_lesson_2_model_learned_and_pretrained_beat_scratch(executed_lessons):
    out = stdout_of(executed_lessons, "02_cnn_training.ipynb")
    assert number(r"final error rate: ([\d.]+)%", out) < 15, (
        "offline bound: under 15 % error (chance is 80 %)"
    )
    pre = number(r"([\d.]+)% \(pretrained\)", out)
    scratch = number(r"([\d.]+)% \(scratch\)", out)
    assert pre < scratch
    assert "same predictions after save and load: True" in out


def test_lesson_3_by_hand_curve_equals_fastai_and_valley_learns(executed_lessons):
    out = stdout_of(executed_lessons, "03_lr_finder.ipynb")
    assert "identical learning rates: True" in out
    assert number(r"relative difference of the smoothed losses: ([\d.e+-]+)", out) < 1e-3
    errors = dict(re.findall(r"'([^']+)': '([\d.]+)%'", out.split("final error rates:")[1].splitlines()[0]))
    valley = next(v for k, v in errors.items() if k.startswith("valley"))
    assert float(valley) < 15 and float(valley) < float(errors["far too high (1.0)"])


def test_lesson_4_schedule_equals_fastai_recorder(executed_lessons):
    out = stdout_of(executed_lessons, "04_one_cycle.ipynb")
    assert number(r"largest difference, learning rate: ([\d.e+-]+)", out) < 1e-6
    assert number(r"momentum: ([\d.e+-]+)", out) < 1e-6


def test_lesson_5_fine_tune_by_hand_equals_fastai(executed_lessons):
    out = stdout_of(executed_lessons, "05_unfreezing.ipynb")
    assert number(r"largest difference: ([\d.e+-]+)", out) < 1e-5
    assert number(r"trainable when unfrozen: ([\d,]+)".replace(",]", "]"), out.replace(",", "")) > number(
        r"trainable while frozen: +([\d]+)", out.replace(",", "")
    )


def test_executing_lessons_leaves_no_files_in_lessons(executed_lessons):
    assert {p.name for p in (ROOT / "lessons").iterdir()} == {p.name for p in LESSONS}
