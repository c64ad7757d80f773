"""The conv benchmark runs and reports the three timings (figures are printed, not asserted)."""

from dlcourse.benchmarks import conv


def test_conv_benchmark_runs_on_a_small_image():
    times = conv.run(size=16, n_kernels=4, repeats=2)
    assert set(times) == {"torch", "im2col", "loop"}
    assert all(t > 0 for t in times.values())
