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

PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class ExecutedLesson:
    source: Path
    executed: Path
    metadata: dict  # how the run that produced `executed` went: mode, device, executed_at, seconds
    from_cache: bool


def lesson_key(notebook: Path, extra_dirs: tuple[Path, ...] = ()) -> str:
    """Hash of the notebook plus every file of the package and of `extra_dirs`."""
    digest = hashlib.sha256(Path(notebook).read_bytes())
    for root in (PACKAGE_DIR, *extra_dirs):
        for path in sorted(p for p in Path(root).rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def describe_device() -> str:
    """The device lessons run on here, in words."""
    from dlcourse.mode import gpu_name

    name = gpu_name()
    return f"CPU ({os.cpu_count()} cores)" if name == "CPU" else name


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
    client.execute(env=env)
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
    setup: str = "",
) -> ExecutedLesson:
    """Executed copy of `notebook` under `cache_dir`, running it only if its key changed."""
    notebook = Path(notebook)
    executed = Path(cache_dir) / notebook.name
    key_file = executed.with_suffix(".sha256")
    key = (
        lesson_key(notebook, extra_dirs)
        + hashlib.sha256(f"{sorted((env or {}).items())}{setup}".encode()).hexdigest()
    )
    if executed.exists() and key_file.exists() and key_file.read_text() == key:
        meta = nbformat.read(executed, as_version=4).metadata["dlcourse"]
        return ExecutedLesson(notebook, executed, meta, from_cache=True)
    key_file.unlink(missing_ok=True)
    meta = execute(notebook, executed, env=env, setup=setup)
    key_file.write_text(key)
    return ExecutedLesson(notebook, executed, meta, from_cache=False)
