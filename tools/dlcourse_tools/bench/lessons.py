"""Benchmark: seconds per lesson, executed top to bottom as the site build runs them.

`python -m dlcourse_tools bench lessons` runs every lesson offline (`--repeat 3` reports the median).
With `--full` it runs them in full mode against the rehearsal stand-ins (`dlcourse.rehearsal`):
Pets-sized JPEGs and ImageNet-shaped weights where the downloads would land, under `--home`. `--record
FILE` writes the figures as JSON: src/dlcourse/weights/lesson_times_cpu.json (offline, on a CPU) and
lesson_times_gpu.json (full mode, on a GPU) are what each lesson's checkup (`dlcourse.doctor`) quotes, and
the course map shows the GPU's."""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import platform
import statistics
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import torch

from dlcourse.mode import describe_device
from dlcourse.rehearsal import REAL_SIZES, STAND_INS, prepare_full_mode
from dlcourse_tools.notebooks import execute

ROOT = Path(__file__).resolve().parents[3]  # the course's checkout


RECORDED_PACKAGES = ("fastcore", "numpy", "pandas", "pillow", "matplotlib", "scikit-learn", "spacy")


def lesson_files(root: Path = ROOT) -> list[Path]:
    from dlcourse.lessons import LESSONS

    return [root / lesson.notebook for lesson in LESSONS]


def run(
    lessons: list[Path],
    repeat: int,
    env: dict[str, str] | None,
    timeout_s: int = 600,
    on_row=None,
    keep: Path | None = None,
) -> list[dict]:
    """Each lesson's seconds (the median of `repeat` runs); a lesson that fails is recorded with its error
    and the others still run. `on_row(rows)` is called after each lesson; `keep` keeps the executed
    notebooks."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = keep or tmp
        for nb in lessons:
            try:
                seconds = [
                    execute(nb, Path(out) / nb.name, env=env, timeout_s=timeout_s)["seconds"]
                    for _ in range(repeat)
                ]
            except Exception as err:  # noqa: BLE001 - recorded, and the next lesson runs
                rows.append(
                    {"lesson": nb.name, "error": str(err).strip().splitlines()[0][:300]}
                )  # cell, ename: evalue
                print(f"  {nb.name:28} failed: {rows[-1]['error']}", flush=True)
            else:
                rows.append({"lesson": nb.name, "seconds": statistics.median(seconds), "runs": seconds})
                print(f"  {nb.name:28} {rows[-1]['seconds']:7.1f} s   (runs: {seconds})", flush=True)
            rows[-1]["sha256"] = hashlib.sha256(nb.read_bytes()).hexdigest()  # the lesson as it ran
            if on_row:
                on_row(rows)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per lesson; the median is reported")
    parser.add_argument("--full", action="store_true", help="full mode against the rehearsal stand-ins")
    parser.add_argument("--home", type=Path, help="full mode: where the stand-ins go (default: temporary)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds one cell may take")
    parser.add_argument("--record", type=Path, help="write the figures to this JSON file (after each lesson)")
    parser.add_argument("--keep", type=Path, help="keep the executed notebooks in this folder")
    parser.add_argument("lessons", nargs="*", type=Path, help="notebooks (default: every lesson)")
    args = parser.parse_args(argv)
    lessons = args.lessons or lesson_files()
    mode = "full" if args.full else "offline"
    record = {
        "mode": mode,
        "device": describe_device(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "fastai": importlib.metadata.version("fastai"),
        "packages": {name: importlib.metadata.version(name) for name in RECORDED_PACKAGES},
        "data": STAND_INS if args.full else "the offline data",
    }

    def write(rows: list[dict]) -> None:
        if args.record:
            args.record.write_text(json.dumps({**record, "lessons": rows}, indent=1) + "\n")

    with tempfile.TemporaryDirectory() as tmp:
        env = prepare_full_mode(args.home or Path(tmp), **REAL_SIZES) if args.full else None
        print(f"{mode} mode on {record['device']}; torch {record['torch']}; Python {record['python']}")
        run(lessons, args.repeat, env, args.timeout, on_row=write, keep=args.keep)


if __name__ == "__main__":
    main()
