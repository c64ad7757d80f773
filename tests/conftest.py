"""Shared fixtures: the lessons executed once per session, the built site, a server and a browser."""

import functools
import os
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from dlcourse_tools import colab
from dlcourse_tools.notebooks import execute_lessons

from support import LESSONS, PER_BREED, REHEARSAL_HOME, ROOT, watch

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


COLAB_BUILD = pytest.StashKey[tuple]()


def pytest_collection_modifyitems(session, config, items):
    """The Colab twin's tests run last (the sort is stable: the others keep their order)."""
    items.sort(key=lambda item: item.path.name == "test_colab_twin.py")


def pytest_collection_finish(session):
    """When the Colab twin's tests are to run and the twin is not built yet, start building it now, at the
    lowest priority: pip uses about one core, and it takes what the site build and the tests before the
    twin's (which run last) leave idle."""
    if session.config.option.collectonly or (colab.twin_folder() / "twin.json").exists():
        return
    if not any(item.path.name == "test_colab_twin.py" for item in session.items):
        return
    log = ROOT / ".cache" / "colab-build.log"
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "dlcourse_tools.colab", "build"],
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: os.nice(19),
        )
    session.config.stash[COLAB_BUILD] = (process, log)


def pytest_sessionfinish(session):
    """A build still going when the session ends (stopped early) is stopped; the next session starts over."""
    building = session.config.stash.get(COLAB_BUILD, None)
    if building is not None and building[0].poll() is None:
        building[0].terminate()
        building[0].wait()


@pytest.fixture(scope="session")
def colab_twin_build(request):
    """(the background build's process, its log), or None when none was started."""
    return request.config.stash.get(COLAB_BUILD, None)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """A fresh DLCOURSE_DATA for one test module: the offline data sets it writes land there."""
    with pytest.MonkeyPatch.context() as mp:
        folder = tmp_path_factory.mktemp("data")
        mp.setenv("DLCOURSE_DATA", str(folder))
        yield folder


@pytest.fixture(scope="session")
def full_env():
    """Full mode's downloads laid out as stand-ins where they would land; the environment a kernel needs."""
    from dlcourse.rehearsal import prepare_full_mode

    return prepare_full_mode(REHEARSAL_HOME, PER_BREED)


@pytest.fixture(scope="session")
def executed_lessons():
    """{notebook name: ExecutedLesson}, run offline exactly as the site build runs them."""
    cache = ROOT / ".cache" / "executed" / "lessons"
    return execute_lessons(LESSONS, cache, extra_dirs=(ROOT / "quiz",))


@pytest.fixture(scope="session")
def site(executed_lessons, tmp_path_factory) -> Path:
    """The site built with `mkdocs build --strict`, reusing the executed lessons."""
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
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
    watch(tab, server)
    yield tab
    context.close()
