"""The conv benchmark runs and reports the three timings (figures are printed, not asserted)."""

import pytest

from dlcourse_tools.bench import conv


def test_conv_benchmark_runs_on_a_small_image():
    times = conv.run(size=16, n_kernels=4, repeats=2)
    assert set(times) == {"torch", "im2col", "loop"}
    assert all(t > 0 for t in times.values())


def test_site_benchmark_measures_javascript_per_page(site):
    from dlcourse_tools.bench.site import page_scripts

    pages = page_scripts(site)
    assert pages["quiz/01_convolutions/"]["quiz.js"] == (site / "assets/quiz.js").stat().st_size
    assert pages["playground/"]["playground.js"] <= 40 * 1024
    assert pages["lessons/01_convolutions/"]["inline"] > 0  # the notebook's quiz renderer, inlined


def test_site_benchmark_weighs_a_lesson_page_with_its_figures(site):
    from bs4 import BeautifulSoup

    from dlcourse_tools.bench.site import page_weight

    html = site / "lessons/01_convolutions/index.html"
    figures = {img["src"] for img in BeautifulSoup(html.read_text(), "html.parser").select("img")}
    weight = page_weight(html)
    assert weight["html"] == html.stat().st_size
    assert weight["images"] == sum((html.parent / src).stat().st_size for src in figures) > 0
    assert weight["scripts and styles"] >= (site / "assets/quiz.js").stat().st_size


def test_the_tools_command_names_every_benchmark_and_record(capsys):
    """A wrong command lists every command; each command's --help gives its usage (called in this process:
    the same `main` that `python -m dlcourse_tools` runs)."""
    import subprocess
    import sys

    from dlcourse_tools.__main__ import COMMANDS, main

    wrong = subprocess.run(
        [sys.executable, "-m", "dlcourse_tools", "bench", "nothing"], capture_output=True, text=True
    )
    assert wrong.returncode != 0
    for command in COMMANDS:
        assert " ".join(command) in wrong.stderr
    assert "colab refresh|closure|missing|build|twin" in wrong.stderr
    for command in COMMANDS:
        with pytest.raises(SystemExit) as done:
            main([*command, "--help"])
        assert done.value.code == 0 and "usage:" in capsys.readouterr().out, command
    with pytest.raises(SystemExit) as done:
        main(["colab", "nothing"])
    assert "colab twin [--record FILE]" in str(done.value.code)
