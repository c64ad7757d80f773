"""Benchmark: seconds per lesson, executed top to bottom as the site build runs them.

`dlcourse bench lessons` runs every lesson offline (`--repeat 3` reports the median). With `--full` it
runs them in full mode against the rehearsal stand-ins (`dlcourse.rehearsal`): Pets-sized JPEGs and
ImageNet-shaped weights where the downloads would land, under `--home`. `--record FILE` writes the
figures as JSON (the course map's GPU column reads the file of a GPU run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import torch

from dlcourse.notebooks import describe_device, execute

ROOT = Path(__file__).resolve().parents[3]


def rehearsal_env(home: Path) -> dict[str, str]:
    """Where full mode's downloads land (fastai's data, torch's hub cache) and the course's cache."""
    home = Path(home).resolve()
    return {
        "DLCOURSE_MODE": "full",
        "FASTAI_HOME": str(home / "fastai"),
        "TORCH_HOME": str(home / "torch"),
        "DLCOURSE_DATA": str(home / "dlcourse"),
    }


@contextmanager
def environment(env: dict[str, str]):
    """Run the block with `env` set; fastai's config (read once per process from FASTAI_HOME) follows."""
    from fastai.data.external import fastai_cfg

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    fastai_cfg.cache_clear()
    try:
        yield
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
        fastai_cfg.cache_clear()


def prepare_full_mode(home: Path, per_breed: int) -> dict[str, str]:
    """Lay out the stand-ins under `home`; returns the environment a lesson kernel needs to find them."""
    from dlcourse import rehearsal

    env = rehearsal_env(home)
    with environment(env):
        rehearsal.install_pets(per_breed)
        rehearsal.install_planet()
        rehearsal.install_camvid()
        rehearsal.install_imdb_sample()
        rehearsal.install_wt103()
        rehearsal.install_weights()
    return env


def lesson_files(root: Path = ROOT) -> list[Path]:
    from dlcourse.lessons import LESSONS

    return [root / lesson.notebook for lesson in LESSONS]


def run(lessons: list[Path], repeat: int, env: dict[str, str] | None, setup: str = "") -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as out:
        for nb in lessons:
            seconds = [
                execute(nb, Path(out) / nb.name, env=env, setup=setup)["seconds"] for _ in range(repeat)
            ]
            rows.append({"lesson": nb.name, "seconds": statistics.median(seconds), "runs": seconds})
            print(f"  {nb.name:28} {rows[-1]['seconds']:7.1f} s   (runs: {seconds})", flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per lesson; the median is reported")
    parser.add_argument("--full", action="store_true", help="full mode against the rehearsal stand-ins")
    parser.add_argument("--home", type=Path, help="full mode: where the stand-ins go (default: temporary)")
    parser.add_argument("--per-breed", type=int, default=200, help="full mode: images per breed (200: Pets)")
    parser.add_argument("--record", type=Path, help="write the figures to this JSON file")
    parser.add_argument("lessons", nargs="*", type=Path, help="notebooks (default: every lesson)")
    args = parser.parse_args(argv)
    lessons = args.lessons or lesson_files()
    with tempfile.TemporaryDirectory() as tmp:
        env = prepare_full_mode(args.home or Path(tmp), args.per_breed) if args.full else None
        mode = "full" if args.full else "offline"
        print(f"{mode} mode on {describe_device()}; torch {torch.__version__}; {platform.python_version()}")
        rows = run(lessons, args.repeat, env)
    if args.record:
        record = {
            "mode": mode,
            "device": describe_device(),
            "date": datetime.now(UTC).strftime("%Y-%m-%d"),
            "torch": torch.__version__,
            "data": f"{args.per_breed * 37} generated Pets-sized JPEGs" if args.full else "offline data",
            "lessons": rows,
        }
        args.record.write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
