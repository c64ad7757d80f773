"""A learner's install: the repository pip-installed into a fresh virtualenv that holds only what Colab
brings (torch, torchvision, ipykernel) runs every lesson offline, the quiz cell included.

What is tested is the install (every import, bundled file and quiz the lessons reach), not the training,
which the site build's offline run shows: here each epoch stops after a few batches (`ShortRuns`)."""

import hashlib
import json
import shutil
import subprocess
import sys

import nbformat
import pytest

from dlcourse.rehearsal import SHORT_EPOCHS
from dlcourse_tools.notebooks import LessonRunError, execute

from support import LESSONS, ONE_THREAD, ROOT, two_at_a_time

pytestmark = pytest.mark.slow

# Rebuilt only when the dependency files change; the package itself is reinstalled on every run.
KEY = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + (ROOT / "constraints.txt").read_bytes())
VENV = ROOT / ".cache" / f"colab-venv-{KEY.hexdigest()[:12]}"
PIP = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]


def run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def colab_like_venv(tmp_path_factory):
    ready = VENV / ".ready"
    if not ready.exists():
        shutil.rmtree(VENV, ignore_errors=True)
        for old in VENV.parent.glob("colab-venv-*"):
            shutil.rmtree(old, ignore_errors=True)
        run([sys.executable, "-m", "venv", str(VENV)])
        run([*PIP, "-c", "constraints.txt", "torch", "torchvision", "ipykernel"])  # what Colab has
        run([*PIP, ".[app]"])  # the repository as lesson 10's install cell installs it, resolved by pip
        ready.touch()
    else:
        run([*PIP, "--no-deps", "--force-reinstall", "."])
    kernels = tmp_path_factory.mktemp("jupyter")
    spec = kernels / "kernels" / "colab-like"
    spec.mkdir(parents=True)
    argv = [str(VENV / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "colab-like", "language": "python"})
    )
    return kernels


def test_the_installed_package_is_not_the_working_tree(colab_like_venv):
    out = subprocess.run(
        [str(VENV / "bin" / "python"), "-c", "import dlcourse, fastai; print(dlcourse.__file__)"],
        capture_output=True,
        text=True,
        cwd=ROOT / "lessons",
    )
    assert out.returncode == 0, out.stderr
    assert str(VENV) in out.stdout and "src/dlcourse" not in out.stdout


@pytest.fixture(scope="module")
def installed_runs(colab_like_venv, tmp_path_factory):
    """Every lesson executed in the fresh install, two at a time: {name: (the executed notebook, its run's
    metadata or the error that stopped it)}."""
    out = tmp_path_factory.mktemp("installed")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(colab_like_venv))

        def run_one(notebook):
            try:
                return out / notebook.name, execute(
                    notebook,
                    out / notebook.name,
                    kernel_name="colab-like",
                    setup=SHORT_EPOCHS,
                    env=ONE_THREAD,
                )
            except LessonRunError as err:  # reported by that lesson's test, not by all of them
                return out / notebook.name, err

        return two_at_a_time(run_one, LESSONS)


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_lesson_runs_offline_in_the_fresh_install(installed_runs, notebook):
    executed, meta = installed_runs[notebook.name]
    if isinstance(meta, Exception):
        raise meta
    print(f"{notebook.name}: {meta['seconds']} s in the fresh install")
    nb = nbformat.read(executed, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    quiz = [o for o in code[-1].outputs if "text/html" in o.get("data", {})]
    assert quiz and "DLQuiz.mount" in quiz[0]["data"]["text/html"], "the quiz cell shows the quiz"
