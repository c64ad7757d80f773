"""Execute lesson notebooks with nbclient, caching each result by what it depends on.

A cached copy is reused only while the notebook, the `dlcourse` source and the
quiz bank are byte-for-byte unchanged, so the site never shows stale output.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import dlcourse
from dlcourse.mode import describe_device

PACKAGE_DIR = Path(dlcourse.__file__).resolve().parent  # everything a lesson can run


# Two lessons at a time, one thread each (`ONE_THREAD`): on two cores that finishes sooner than one after
# the other on two threads (a lesson leaves a core idle for much of its run, and two kernels of two
# threads each would fight over the cores). Lessons 2 and 10 both export `export.pkl` into the Pets
# folder, so they share a lane and never run at once.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
LANES = (
    ("02_cnn_training", "10_deployment", "03_lr_finder", "07_multi_label", "09_text", "12_resnets"),
    (
        "01_convolutions",
        "04_one_cycle",
        "05_unfreezing",
        "06_data_blocks",
        "08_segmentation",
        "11_cnn_from_scratch",
    ),
)


def two_at_a_time(run, notebooks: list[Path]) -> dict:
    """{notebook name: run(notebook)}: the notebooks of each of `LANES` one after the other, the two
    lanes at once (each notebook in its own kernel process)."""
    from concurrent.futures import ThreadPoolExecutor

    by_stem = {Path(nb).stem: Path(nb) for nb in notebooks}
    assert sorted(by_stem) == sorted(sum(LANES, ())), "every lesson belongs to one lane of LANES"

    def run_lane(lane):
        return {f"{stem}.ipynb": run(by_stem[stem]) for stem in lane}

    with ThreadPoolExecutor(len(LANES)) as pool:
        results = {}
        for done in pool.map(run_lane, LANES):
            results.update(done)
    return {nb.name: results[nb.name] for nb in by_stem.values()}


def execute_lessons(notebooks: list[Path], cache_dir: Path, extra_dirs: tuple[Path, ...] = ()) -> dict:
    """{notebook name: ExecutedLesson}: every lesson run offline as the site shows it (two at a time, one
    thread each), or taken from `cache_dir` while nothing it depends on changed."""
    return two_at_a_time(lambda nb: execute_cached(nb, cache_dir, extra_dirs, env=ONE_THREAD), notebooks)


class LessonRunError(RuntimeError):
    """A lesson notebook that stopped with an error, naming the notebook and the cell."""


@dataclass(frozen=True)
class ExecutedLesson:
    source: Path
    executed: Path
    metadata: dict  # how the run that produced `executed` went: mode, device, executed_at, seconds
    from_cache: bool


def lesson_key(notebook: Path, extra_dirs: tuple[Path, ...] = ()) -> str:
    """Hash of the notebook plus every file of the package a lesson can run, and of `extra_dirs`."""
    digest = hashlib.sha256(Path(notebook).read_bytes())
    for root in (PACKAGE_DIR, *extra_dirs):
        files = (
            p for p in Path(root).rglob("*") if p.is_file() and "__pycache__" not in p.relative_to(root).parts
        )
        for path in sorted(files):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def execute(
    notebook: Path,
    output: Path,
    timeout_s: int = 600,
    env: dict[str, str] | None = None,
    setup: str = "",
    kernel_name: str = "python3",
) -> dict:
    """Run `notebook` top to bottom in its own folder, write it with outputs to `output`.

    The mode is offline unless `env` sets DLCOURSE_MODE. `setup` is code a test harness runs in the
    kernel first (for example shorter epochs); it is not part of the written notebook. Returns the
    run's metadata, also stored in the notebook under `metadata.dlcourse`.
    """
    notebook = Path(notebook)
    nb = nbformat.read(notebook, as_version=4)
    if setup:
        nb.cells.insert(0, nbformat.v4.new_code_cell(setup))
    client = NotebookClient(
        nb,
        timeout=timeout_s,
        kernel_name=kernel_name,
        allow_errors=False,
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    env = {**os.environ, "DLCOURSE_MODE": "offline", **(env or {})}
    start = time.perf_counter()
    try:
        client.execute(env=env)
    except CellExecutionError as err:
        if setup:
            nb.cells.pop(0)
        raise LessonRunError(f"{notebook} stopped with an error in {_cell_error(nb, err)}") from err
    if setup:
        nb.cells.pop(0)
    meta = {
        "mode": env["DLCOURSE_MODE"],
        "device": describe_device(),
        "executed_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": round(time.perf_counter() - start, 1),
    }
    nb.metadata["dlcourse"] = meta
    output.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, output)
    return meta


def execute_cached(
    notebook: Path,
    cache_dir: Path,
    extra_dirs: tuple[Path, ...] = (),
    env: dict[str, str] | None = None,
) -> ExecutedLesson:
    """Executed copy of `notebook` under `cache_dir`, running it only if its key changed."""
    notebook = Path(notebook)
    executed = Path(cache_dir) / notebook.name
    key_file = executed.with_suffix(".sha256")
    key = (
        lesson_key(notebook, extra_dirs)
        + hashlib.sha256(f"{sorted((env or {}).items())}".encode()).hexdigest()
    )
    if key_file.exists() and key_file.read_text() == key:
        meta = _run_metadata(executed)
        if meta is not None:
            return ExecutedLesson(notebook, executed, meta, from_cache=True)
    key_file.unlink(missing_ok=True)
    meta = execute(notebook, executed, env=env)
    key_file.write_text(key)
    return ExecutedLesson(notebook, executed, meta, from_cache=False)


def _run_metadata(executed: Path) -> dict | None:
    """The run record of a cached executed notebook; None when it is missing or damaged (then it reruns)."""
    try:
        return dict(nbformat.read(executed, as_version=4).metadata["dlcourse"])
    except (OSError, ValueError, KeyError, AttributeError):  # ValueError: not JSON
        return None


def _cell_error(nb, err: CellExecutionError) -> str:
    """Which code cell failed (counting code cells from 1) and its error's last line."""
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    failed = [i for i, c in enumerate(code_cells, 1) if any(o.output_type == "error" for o in c.outputs)]
    return f"{f'code cell {failed[0]}' if failed else 'a code cell'}: {err.ename}: {err.evalue}"
