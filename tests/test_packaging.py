"""The package as Colab installs it (a wheel, not this checkout) carries the quiz bank and renderer, the
offline data, model and records."""

import subprocess
import sys
import zipfile

from conftest import ROOT


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
        "dlcourse/site/overrides/partials/source.html",
        "dlcourse/weights/offline_resnet.pth",
        "dlcourse/weights/offline_resnet.json",
        "dlcourse/weights/offline_effects.json",
        "dlcourse/weights/fashion_lessons.npz",
        "dlcourse/weights/FASHION-MNIST-LICENSE.txt",
    } <= names

    target = tmp_path / "site-packages"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = (
        "import dlcourse, dlcourse.quiz as q; "
        f"assert dlcourse.__file__.startswith({str(target)!r}), dlcourse.__file__; "
        "quiz = q.load_quiz('01'); html = q.show('01')._repr_html_(); "
        "print(quiz.path.parent.name, len(quiz.questions), 'DLQuiz.mount' in html)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == [
        "data",
        str(len(__import__("dlcourse.quiz").quiz.load_quiz("01").questions)),
        "True",
    ]
