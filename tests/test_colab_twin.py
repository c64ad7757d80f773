"""Colab's twin: a virtual environment of Colab's Python holding Colab's versions of every package the
course could touch (`dlcourse_tools.colab`, from the committed tests/colab/pip-freeze.gpu.txt). Each
lesson's own first cell installs the course there, from this checkout instead of the git tag, and:

- no package Colab had is changed or removed (pip freeze before and after; torch and torchvision are
  Colab's releases in PyPI's build, not Colab's own CUDA build, and their CUDA libraries are PyPI's);
- every lesson then runs there in full mode, as on Colab, the quiz cell included: full mode's downloads
  are stand-ins laid out where they would land (`dlcourse.rehearsal`), nothing is fetched.

What is tested is the install and the full-mode code path (every import, download location, model and
quiz the lessons reach) on Colab's versions, not the training, which the site build's offline run shows:
here each epoch stops after a few batches (`ShortRuns`) on small images (`shrink_env`). The twin is built
in the background while the other tests run (conftest.py)."""

import json
import subprocess
import time

import nbformat
import pytest

from dlcourse import rehearsal
from dlcourse_tools import colab
from dlcourse_tools.notebooks import ONE_THREAD, LessonRunError, execute, two_at_a_time

from support import LESSONS, PER_BREED, ROOT, first_cell

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def twin(colab_twin_build):
    """The twin's folder, built (in the background since the session started, or now)."""
    if colab_twin_build is not None:
        process, log = colab_twin_build
        assert process.wait() == 0, f"building the Colab twin failed:\n{log.read_text()[-4000:]}"
    folder = colab.twin_folder()
    colab.build_twin(folder)
    colab.reset(folder)
    return folder


def test_the_twin_holds_colabs_python_and_versions(twin):
    versions = colab.base(twin)
    expected = colab.colab_pins()
    assert {n: versions.get(n) for n in colab.KEY_PACKAGES} == {n: expected[n] for n in colab.KEY_PACKAGES}
    assert "dlcourse" not in versions
    cost = json.loads((twin / "twin.json").read_text())
    assert cost["python"].rsplit(".", 1)[0] == colab.COLAB_PYTHON
    print(
        f"Colab twin: Python {cost['python']}, {cost['colab_packages']} of Colab's packages, "
        f"{cost['megabytes']:,} MB, built in {cost['seconds']:.0f} s (torch and torchvision "
        f"{cost['torch_seconds']:.0f} s)"
    )


@pytest.fixture(scope="module")
def install_cells(twin, tmp_path_factory):
    """Each distinct first cell of the lessons, run from the twin as built, in lesson order, installing from
    a clean copy of the checkout: {cell source: (its lessons, the freeze after it, seconds, what forced
    any change)}. The last one's install is kept."""
    checkout = colab.clean_checkout(tmp_path_factory.mktemp("checkout"))
    cells: dict[str, list[str]] = {}
    for notebook in LESSONS:
        cells.setdefault(first_cell(notebook), []).append(notebook.stem)
    before = colab.base(twin)
    results = {}
    for i, (source, lessons) in enumerate(cells.items()):
        if i:
            colab.reset(twin)
        start = time.perf_counter()
        ran = subprocess.run(
            [str(colab.venv_python(twin)), "-c", colab.local_cell(source, checkout)],
            capture_output=True,
            text=True,
            cwd=ROOT / "lessons",
        )
        assert ran.returncode == 0, f"the first cell of {', '.join(lessons)} failed:\n{ran.stderr[-3000:]}"
        seconds = round(time.perf_counter() - start, 1)
        after = colab.freeze(twin)
        changes = colab.colab_changes(before, after)
        results[source] = (
            lessons,
            after,
            seconds,
            colab.why(twin, list(changes), before, after) if changes else "",
        )
    (twin / "install-cells.json").write_text(  # for `python -m dlcourse_tools colab twin --record`
        json.dumps(
            [
                {"lessons": lessons, "seconds": seconds, "added": sorted(set(after) - set(before))}
                for lessons, after, seconds, _ in results.values()
            ],  # fmt: skip
            indent=1,
        )
    )
    return results


def test_the_install_cells_change_none_of_colabs_packages(twin, install_cells):
    before = colab.base(twin)
    for lessons, after, seconds, forced_by in install_cells.values():
        added = sorted(set(after) - set(before))
        print(f"{', '.join(lessons)}: installed in {seconds} s, adding {len(added)}: {' '.join(added)}")
        assert "dlcourse" in added
        changes = colab.colab_changes(before, after)
        assert not changes, (
            f"the first cell of {', '.join(lessons)} changed Colab's "
            + ", ".join(f"{name} {was} → {now}" for name, (was, now) in changes.items())
            + f". What asked for it:\n{forced_by}"
        )
        assert not colab.lacking(before, after), (
            "the twin lacked Colab's packages that the install then added (rebuild it: remove "
            f".cache/colab-twin-*): {colab.lacking(before, after)}"
        )


def test_the_installed_package_is_not_the_working_tree(twin, install_cells):
    out = subprocess.run(
        [str(colab.venv_python(twin)), "-c", "import dlcourse, fastai; print(dlcourse.__file__)"],
        capture_output=True,
        text=True,
        cwd=ROOT / "lessons",
    )
    assert out.returncode == 0, out.stderr
    assert str(twin) in out.stdout and "src/dlcourse" not in out.stdout


@pytest.fixture(scope="module")
def twin_kernel(twin, tmp_path_factory):
    """A Jupyter kernel spec that starts the twin's Python."""
    kernels = tmp_path_factory.mktemp("jupyter")
    spec = kernels / "kernels" / "colab-twin"
    spec.mkdir(parents=True)
    argv = [str(colab.venv_python(twin)), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Colab twin", "language": "python"})
    )
    return kernels


@pytest.fixture(scope="module")
def twin_runs(twin_kernel, install_cells, full_env, tmp_path_factory):
    """Every lesson executed in full mode in the twin after the install cells, two at a time: {name: (the
    executed notebook, its run's metadata or the error that stopped it)}."""
    out = tmp_path_factory.mktemp("twin-runs")
    env = {**full_env, **ONE_THREAD, **rehearsal.shrink_env()}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(twin_kernel))

        def run_one(notebook):
            try:
                return out / notebook.name, execute(
                    notebook,
                    out / notebook.name,
                    kernel_name="colab-twin",
                    setup=rehearsal.SHORT_EPOCHS,
                    env=env,
                )
            except LessonRunError as err:  # reported by that lesson's test, not by all of them
                return out / notebook.name, err

        return two_at_a_time(run_one, LESSONS)


def stdout(twin_runs, name: str) -> str:
    """Everything a lesson printed in its run in the twin."""
    executed, meta = twin_runs[name]
    if isinstance(meta, Exception):
        raise meta
    nb = nbformat.read(executed, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_lesson_runs_in_full_mode_on_colabs_versions(twin_runs, notebook):
    executed, meta = twin_runs[notebook.name]
    if isinstance(meta, Exception):
        raise meta
    print(f"{notebook.name}: {meta['seconds']} s in full mode in the Colab twin")
    assert meta["mode"] == "full"
    nb = nbformat.read(executed, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.source for c in code] == [
        c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"
    ], "the harness's setup is not part of the lesson"
    assert all(c.execution_count for c in code), "every code cell ran"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert "full mode (" in stdout(twin_runs, notebook.name)
    quiz = [o for o in code[-1].outputs if "text/html" in o.get("data", {})]
    assert quiz and "DLQuiz.mount" in quiz[0]["data"]["text/html"], "the quiz cell shows the quiz"


def test_lesson_2_reads_pets_from_fastais_data_folder(twin_runs, full_env):
    """What lesson 2 shows a learner in full mode: the count and folder of fastai's Pets download."""
    images = f"{full_env['FASTAI_HOME']}/data/oxford-iiit-pet/images"
    assert f"{PER_BREED * 37} images in {images}" in stdout(twin_runs, "02_cnn_training.ipynb")


def test_lesson_5_trains_the_bigger_model_in_full_mode(twin_runs):
    assert "ResNet-50 final error rate:" in stdout(twin_runs, "05_unfreezing.ipynb")


def test_lesson_6_trains_the_bigger_model_with_its_precision_named(twin_runs):
    assert "ResNet-50 trains in: " in stdout(twin_runs, "06_data_blocks.ipynb")


def test_lesson_9_fine_tunes_the_wikitext_sized_model_in_full_mode(twin_runs):
    out = stdout(twin_runs, "09_text.ipynb")
    assert "fastai's Numericalize gives the same numbers: True" in out
    assert "pretrained on Emma" not in out, "full mode loads WikiText-103's model, not the bundled one"


def test_lesson_10_exports_resnet34_and_serves_it_in_full_mode(twin_runs):
    out = stdout(twin_runs, "10_deployment.ipynb")
    assert "37 classes:" in out
    assert "same top class in 100%" in out
    assert "The app's answer for" in out, "outside Colab the app is asked on this machine"
