"""Lesson notebooks: declared in the registry, committed clean, install what this repo releases, execute
offline (the time each takes is a benchmark, `python -m dlcourse_tools bench lessons`, not a test)."""

import re
import tomllib
from urllib.parse import urlparse

import nbformat
import pytest

from dlcourse.lessons import LESSONS as REGISTRY

from support import LESSONS, ROOT, first_cell


def mkdocs_config():
    from mkdocs.config import load_config

    return load_config(str(ROOT / "mkdocs.yml"))


def test_lessons_exist_and_are_named_nn_slug():
    assert LESSONS, "no lessons in dlcourse.lessons.LESSONS"
    for nb in LESSONS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", nb.name), nb.name


def test_every_notebook_is_registered_once_with_its_heading_and_quiz():
    import yaml

    assert sorted((ROOT / "lessons").glob("*.ipynb")) == sorted(LESSONS), "one registry entry per notebook"
    assert [lesson.number for lesson in REGISTRY] == list(range(1, len(REGISTRY) + 1))
    for lesson in REGISTRY:
        first = nbformat.read(ROOT / lesson.notebook, as_version=4).cells[0].source.splitlines()[0]
        assert first == lesson.heading, f"{lesson.notebook}: first line must be {lesson.heading!r}"
        quiz = yaml.safe_load((ROOT / "quiz" / f"{lesson.name}.yml").read_text())
        assert (quiz["lesson"], quiz["page"]) == (lesson.quiz, lesson.notebook)


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
    pins = re.findall(r'"dlcourse(?:\[[a-z]+\])? @ ([^"]*)"', source)
    assert pins == [f"git+{repo_url}@v{version}"], pins


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_first_cell_links_to_colab_kaggle_and_studio_lab_from_the_configured_repository(notebook):
    from dlcourse.links import launch_links

    first = nbformat.read(notebook, as_version=4).cells[0]
    assert first.cell_type == "markdown"
    links = launch_links(mkdocs_config().repo_url, notebook.name)
    assert " · ".join(f"[{label}]({url})" for label, url in links.items()) in first.source


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_every_launch_url_has_its_services_form(notebook):
    """The forms each service documents for opening a notebook of a public GitHub repository."""
    from dlcourse.links import launch_links

    repo = urlparse(mkdocs_config().repo_url).path.strip("/")
    file = f"{repo}/blob/main/lessons/{notebook.name}"
    assert launch_links(mkdocs_config().repo_url, notebook.name) == {
        "Open in Colab": f"https://colab.research.google.com/github/{file}",
        "Open in Kaggle": f"https://kaggle.com/kernels/welcome?src=https://github.com/{file}",
        "Open in SageMaker Studio Lab": f"https://studiolab.sagemaker.aws/import/github/{file}",
    }
    for url in launch_links(mkdocs_config().repo_url, notebook.name).values():
        parsed = urlparse(url)
        assert parsed.scheme == "https" and parsed.netloc and " " not in url


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_install_cell_installs_only_where_the_course_is_missing(notebook):
    """The first code cell runs pip on Colab, Kaggle or Studio Lab (no dlcourse there yet), never where the
    course is installed: run here, it changes nothing and says nothing."""
    import contextlib
    import io
    import subprocess

    first = first_cell(notebook)
    calls = []
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        mp.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
        exec(first, {})
    assert calls == [] and out.getvalue() == ""


@pytest.mark.parametrize("lesson", REGISTRY, ids=lambda lesson: lesson.name)
def test_the_checkup_and_the_quiz_name_the_lessons_own_number(lesson):
    """The number in the notebook's calls is the registry's: the checkup looks its recorded time up by it."""
    source = "\n".join(c.source for c in nbformat.read(ROOT / lesson.notebook, as_version=4).cells)
    assert re.findall(r"^doctor\([^,]+, \"(\d\d)\"\)", source, re.M) == [lesson.quiz]
    assert re.findall(r"quiz\.show\(\"(\d\d)\"\)", source) == [lesson.quiz]


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_executes_offline_top_to_bottom(executed_lessons, notebook):
    lesson = executed_lessons[notebook.name]
    print(f"{notebook.name}: {lesson.metadata['seconds']} s on {lesson.metadata['device']}")
    assert lesson.metadata["mode"] == "offline"
    nb = nbformat.read(lesson.executed, as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code_cells), "every code cell ran"
    assert not [o for c in code_cells for o in c.outputs if o.output_type == "error"]
    checkup = "".join(o.get("text", "") for o in code_cells[1].outputs)
    assert f"lesson {notebook.name[:2]}: it took about " in checkup, checkup


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


def outputs_of(executed_lessons, name: str) -> str:
    nb = nbformat.read(executed_lessons[name].executed, as_version=4)
    return "".join(
        o.get("text", "") + o.get("data", {}).get("text/plain", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )


def test_lessons_print_no_numpy_scalar_reprs_or_local_paths(executed_lessons):
    for name in executed_lessons:
        out = outputs_of(executed_lessons, name)
        assert "np.int64(" not in out and "np.float" not in out, name
        assert "Warning" not in out and "/.venv/" not in out, f"{name}: a warning leaked into the page"


def test_executing_lessons_leaves_no_files_in_lessons(executed_lessons):
    assert {p.name for p in (ROOT / "lessons").iterdir()} == {p.name for p in LESSONS}


COURSE_WRAPPERS = re.compile(
    r"\b(make_learner|make_unet_learner|make_classifier|make_language_model|make_multilabel_learner|"
    r"pets_dataloaders|multilabel_dataloaders|segmentation_dataloaders|lm_dataloaders|classifier_dataloaders|"
    r"export_and_reload|predict_one|train_classifier|fashion_dataloaders|scratch_learner)\b"
    r"|\bfine_tune\(learn|\bfit_one_cycle\(learn"
)
FASTAI_LEARNERS = re.compile(
    r"\b(vision_learner|unet_learner|language_model_learner|text_classifier_learner|Learner)\("
)
FASTAI_TRAINING = re.compile(r"\.(fine_tune|fit_one_cycle)\(")


def code_of(notebook) -> str:
    return "\n".join(c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code")


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_lessons_build_and_train_with_fastai_calls_not_course_wrappers(notebook):
    code = code_of(notebook)
    assert not COURSE_WRAPPERS.findall(code), f"{notebook.name} calls a course wrapper: write the fastai call"
    if notebook.name[:2] in {
        "02",
        "04",
        "05",
        "07",
        "08",
        "09",
        "10",
        "11",
        "12",
    }:  # the lessons that train in a cell
        assert FASTAI_LEARNERS.search(code), f"{notebook.name} builds no learner with fastai"
        assert FASTAI_TRAINING.search(code), f"{notebook.name} trains with no fastai call"
