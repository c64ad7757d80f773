"""The package as Colab installs it (a wheel, not this checkout) carries the quiz bank and renderer, the
offline data, model and records, and nothing of the course's build tools; every module in it imports
without the optional extras."""

import re
import subprocess
import sys
import zipfile
from pathlib import Path

from support import ROOT

TOOLING = re.compile(
    r"(^|/)(hooks\.py|overrides/|benchmarks?/|notebooks\.py|pretrain(_text)?\.py|records\.py)"
)
EXTRAS = (
    "gradio",
    "gradio_client",
    "mkdocs",
    "material",
    "nbclient",
    "nbformat",
    "ipykernel",
    "dlcourse_tools",
)


def test_wheel_ships_bank_renderer_and_theme_override(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("dlcourse-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for quiz in (ROOT / "quiz").glob("*.yml"):
        assert f"dlcourse/quiz/data/{quiz.name}" in names
    assert {
        "dlcourse/quiz/static/quiz.js",
        "dlcourse/quiz/static/quiz.css",
        "dlcourse/weights/offline_resnet.pth",
        "dlcourse/weights/offline_resnet.json",
        "dlcourse/weights/offline_effects.json",
        "dlcourse/weights/fashion_lessons.npz",
        "dlcourse/weights/FASHION-MNIST-LICENSE.txt",
    } <= names
    package = ROOT / "src" / "dlcourse"
    modules = {f"dlcourse/{p.relative_to(package).as_posix()}" for p in package.rglob("*.py")}
    missing = sorted(modules - names)
    assert not missing, f"not in the wheel (list their package in pyproject.toml's packages): {missing}"
    assert {"LICENSE", "NOTICE"} <= {Path(n).name for n in names if ".dist-info/licenses/" in n}
    tooling = [n for n in names if n.startswith("dlcourse_tools/") or TOOLING.search(n)]
    assert not tooling, f"the course's build tools travel in the learners' wheel: {tooling}"

    target = tmp_path / "site-packages"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    # every module of the wheel imports with only the required dependencies: the extras (gradio, mkdocs,
    # nbclient, ...) are made unimportable; what the extras serve imports them when it is used
    blocked = ", ".join(f"{m!r}: None" for m in EXTRAS)
    every_module = (
        f"import sys, pkgutil, importlib; sys.modules.update({{{blocked}}}); import dlcourse; "
        "names = [m.name for m in pkgutil.walk_packages(dlcourse.__path__, 'dlcourse.')]; "
        "[importlib.import_module(n) for n in names]; print(len(names))"
    )

    def in_the_wheel(code: str) -> subprocess.CompletedProcess:
        """`code` run by a Python that finds dlcourse only in the installed wheel."""
        env = {"PYTHONPATH": str(target)}
        return subprocess.run(
            [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
        )

    imported = in_the_wheel(every_module)
    assert imported.returncode == 0, imported.stderr[-2000:]
    shipped = [
        n for n in names if n.startswith("dlcourse/") and n.endswith(".py") and n != "dlcourse/__init__.py"
    ]
    assert int(imported.stdout) == len(shipped)

    probe = (
        "import dlcourse, dlcourse.quiz as q; "
        f"assert dlcourse.__file__.startswith({str(target)!r}), dlcourse.__file__; "
        "quiz = q.load_quiz('01'); html = q.show('01')._repr_html_(); "
        "print(quiz.path.parent.name, len(quiz.questions), 'DLQuiz.mount' in html)"
    )
    out = in_the_wheel(probe)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [
        "data",
        str(len(__import__("dlcourse.quiz").quiz.load_quiz("01").questions)),
        "True",
    ]
