"""The conv benchmark runs and reports the three timings (figures are printed, not asserted)."""

from dlcourse.benchmarks import conv


def test_conv_benchmark_runs_on_a_small_image():
    times = conv.run(size=16, n_kernels=4, repeats=2)
    assert set(times) == {"torch", "im2col", "loop"}
    assert all(t > 0 for t in times.values())


def test_site_benchmark_measures_javascript_per_page(site):
    from dlcourse.benchmarks.site import page_scripts

    pages = page_scripts(site)
    assert pages["quiz/01_convolutions/"]["quiz.js"] == (site / "assets/quiz.js").stat().st_size
    assert pages["playground/"]["playground.js"] <= 40 * 1024
    assert pages["lessons/01_convolutions/"]["inline"] > 0  # the notebook's quiz renderer, inlined
