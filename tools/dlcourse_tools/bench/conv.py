"""Benchmark: the vectorized convolution against torch.nn.functional.conv2d on CPU.

The work is the lesson's: a 3x224x224 image, 16 kernels of 3x3, stride 1, padding 1.
Prints median wall times and the ratio (goal: within 5x of torch).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from dlcourse.mode import cpu_model, describe_device


def median_seconds(fn: Callable[[], object], repeats: int = 30, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(size: int = 224, channels: int = 3, n_kernels: int = 16, repeats: int = 30) -> dict[str, float]:
    import torch
    import torch.nn.functional as F

    from dlcourse.kernels import conv2d_im2col, conv2d_loop

    rng = np.random.default_rng(0)
    image = rng.standard_normal((channels, size, size), dtype=np.float32)
    bank = rng.standard_normal((n_kernels, channels, 3, 3), dtype=np.float32)
    image_t, bank_t = torch.from_numpy(image)[None], torch.from_numpy(bank)

    ours = conv2d_im2col(image, bank, padding=1)
    theirs = F.conv2d(image_t, bank_t, padding=1)[0].numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)

    with torch.inference_mode():
        t_torch = median_seconds(lambda: F.conv2d(image_t, bank_t, padding=1), repeats)
    t_im2col = median_seconds(lambda: conv2d_im2col(image, bank, padding=1), repeats)
    t_loop = median_seconds(lambda: conv2d_loop(image, bank, padding=1), repeats=1, warmup=0)
    return {"torch": t_torch, "im2col": t_im2col, "loop": t_loop}


def main(argv: list[str] | None = None) -> None:
    import torch

    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)

    times = run()
    print(
        f"conv2d on a 3x224x224 float32 image, 16 kernels 3x3, padding 1 | {cpu_model()}, "
        f"{describe_device()}, torch {torch.__version__} ({torch.get_num_threads()} threads)"
    )
    for name, label in [
        ("torch", "torch.nn.functional.conv2d"),
        ("im2col", "dlcourse conv2d_im2col"),
        ("loop", "dlcourse conv2d_loop"),
    ]:
        print(f"  {label:<28} {times[name] * 1e3:10.2f} ms   {times[name] / times['torch']:8.1f}x torch")
    verdict = "met" if times["im2col"] <= 5 * times["torch"] else "NOT met"
    print(f"goal: im2col within 5x of torch -> {verdict}")


if __name__ == "__main__":
    main()
