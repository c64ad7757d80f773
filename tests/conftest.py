"""Shared fixtures: the lessons executed once per session, the built site, a server and a browser."""

import functools
import os
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from dlcourse.lessons import LESSONS as REGISTRY
from dlcourse.notebooks import execute_cached

ROOT = Path(__file__).resolve().parents[1]
LESSONS = [ROOT / lesson.notebook for lesson in REGISTRY]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Two lessons at a time, one thread each: on two cores that finishes sooner than one after the other on
# two threads (for the rehearsals, which check that lessons run, not how long they take). Lessons 2 and
# 10 both export `export.pkl` into the Pets folder, so they share a lane and never run at once.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
LANES = (
    ("02_cnn_training", "10_deployment", "03_lr_finder", "07_multi_label", "09_text"),
    ("01_convolutions", "04_one_cycle", "05_unfreezing", "06_data_blocks", "08_segmentation"),
)


def two_at_a_time(run, notebooks):
    """{notebook name: run(notebook)}: the notebooks of each of `LANES` one after the other, the two
    lanes at once (each notebook in its own kernel process)."""
    from concurrent.futures import ThreadPoolExecutor

    by_stem = {nb.stem: nb for nb in notebooks}
    assert sorted(by_stem) == sorted(sum(LANES, ())), "every lesson belongs to one lane"

    def run_lane(lane):
        return {f"{stem}.ipynb": run(by_stem[stem]) for stem in lane}

    with ThreadPoolExecutor(len(LANES)) as pool:
        results = {}
        for done in pool.map(run_lane, LANES):
            results.update(done)
    return {nb.name: results[nb.name] for nb in notebooks}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """A fresh DLCOURSE_DATA for one test module: the offline data sets it writes land there."""
    with pytest.MonkeyPatch.context() as mp:
        folder = tmp_path_factory.mktemp("data")
        mp.setenv("DLCOURSE_DATA", str(folder))
        yield folder


@pytest.fixture(scope="session")
def executed_lessons():
    """{notebook name: ExecutedLesson}, run offline exactly as the site build runs them."""
    cache = ROOT / ".cache" / "executed" / "lessons"
    return {nb.name: execute_cached(nb, cache, extra_dirs=(ROOT / "quiz",)) for nb in LESSONS}


@pytest.fixture(scope="session")
def site(executed_lessons, tmp_path_factory) -> Path:
    """The site built with `mkdocs build --strict`, reusing the executed lessons."""
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [str(ROOT / ".venv/bin/mkdocs"), "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("WARNING")]
    assert not warnings, warnings
    return out


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def server(site):
    """The built site served on 127.0.0.1 (a free port); yields its base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    """A fresh browser context (empty localStorage) that records console errors and outside requests."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    tab = context.new_page()
    tab.problems = []
    tab.on(
        "console", lambda m: tab.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
    )
    tab.on("pageerror", lambda e: tab.problems.append(f"page error: {e}"))
    tab.on("requestfailed", lambda r: tab.problems.append(f"failed request: {r.url}"))
    tab.on(
        "request",
        lambda r: (
            None
            if r.url.startswith((server, "data:"))
            else tab.problems.append(f"request outside the site: {r.url}")
        ),
    )
    yield tab
    context.close()


def damage(folder, fault):
    """Damage one image of `folder` as a learner's disk or download might; return the file's new name."""
    victim = sorted(folder.iterdir())[3]
    if fault == "corrupt":
        victim.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    elif fault == "truncated":
        victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    elif fault == "not an image":
        victim.write_text("notes about sandals")
    elif fault == "misnamed":
        victim = victim.rename(victim.with_name("Sandal" + victim.suffix))
    return victim.name


# What each damage does to the data, in the words of `dlcourse.data`'s errors ({} is the file's name)
FAULTS = {
    "corrupt": r"1 image file\(s\) in .* cannot be read: {}\. Delete or replace them, then run again\.",
    "truncated": r"1 image file\(s\) in .* cannot be read: {}\. Delete or replace them",
    "not an image": r"1 image file\(s\) in .* cannot be read: {}\. Delete or replace them",
    "misnamed": r"1 file name\(s\) in .* are not CLASS_NUMBER.jpg \(or .png\): {}\. Rename or remove them",
}
