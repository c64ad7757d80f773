"""Shared fixtures: paths, and the lessons executed once per session (the site build reuses them)."""

from pathlib import Path

import pytest

from dlcourse.notebooks import execute_cached

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="session")
def executed_lessons():
    """{notebook name: ExecutedLesson}, run offline exactly as the site build runs them."""
    cache = ROOT / ".cache" / "executed" / "lessons"
    return {nb.name: execute_cached(nb, cache, extra_dirs=(ROOT / "quiz",)) for nb in LESSONS}
