"""The whole built site in real Chromium: every page, every link, the playground, accessibility, phones."""

from pathlib import Path
from urllib.parse import urljoin, urlparse

import numpy as np
import pytest
from bs4 import BeautifulSoup

from dlcourse import kernels as K
from dlcourse.site.links import SITE_URL

from conftest import ROOT

pytestmark = pytest.mark.browser

AXE = ROOT / "tests/js/node_modules/axe-core/axe.min.js"
SHOTS = ROOT / "test-artifacts/screenshots"
KEY_PAGES = {
    "home": "",
    "lesson": "lessons/01_convolutions/",
    "quiz": "quiz/01_convolutions/",
    "playground": "playground/",
}


def site_pages(site: Path) -> list[str]:
    return sorted(
        str(p.parent.relative_to(site)).replace(".", "") + ("/" if p.parent != site else "")
        for p in site.rglob("index.html")
        if "assets" not in p.parts
    )


def test_every_page_loads_without_errors_or_outside_requests(page, server, site):
    pages = site_pages(site)
    assert len(pages) >= 15
    for path in pages:
        page.goto(server + path)
        page.wait_for_load_state("networkidle")
    assert not page.problems, page.problems


def test_every_internal_link_and_anchor_resolves(site):
    ids: dict[Path, set[str]] = {}

    def anchors(file: Path) -> set[str]:
        if file not in ids:
            ids[file] = {el["id"] for el in BeautifulSoup(file.read_text(), "html.parser").find_all(id=True)}
        return ids[file]

    broken, checked = [], 0
    for html in site.rglob("*.html"):
        url = "http://site/" + str(html.relative_to(site))
        for a in BeautifulSoup(html.read_text(), "html.parser").find_all("a", href=True):
            target = urlparse(urljoin(url, a["href"]))
            if target.netloc == urlparse(SITE_URL).netloc:
                target = urlparse(urljoin(url, "/" + target.path.removeprefix(urlparse(SITE_URL).path)))
            if target.netloc != "site":
                continue  # Colab, GitHub: links out, never loaded by the page
            path = target.path.removeprefix(
                urlparse(SITE_URL).path.rstrip("/")
            )  # 404.html links from the root
            file = site / path.lstrip("/")
            if file.is_dir() or target.path.endswith("/"):
                file = file / "index.html"
            checked += 1
            if not file.exists():
                broken.append(f"{html.relative_to(site)}: {a['href']} (no {file.relative_to(site)})")
            elif target.fragment and file.suffix == ".html" and target.fragment not in anchors(file):
                broken.append(f"{html.relative_to(site)}: {a['href']} (no #{target.fragment})")
    assert checked > 100
    assert not broken, broken


def open_playground(page, server):
    page.goto(server + "playground/")
    page.wait_for_selector("[data-playground][data-ready]")
    return page


def state(page):
    return page.evaluate(
        "({k: DLPlayground.state.kernel, s: DLPlayground.state.stride, p: DLPlayground.state.padding,"
        " out: DLPlayground.state.output, input: DLPlayground.state.input})"
    )


def assert_matches_python(st):
    expected = K.conv2d_loop(np.array(st["input"]), np.array(st["k"]), stride=st["s"], padding=st["p"])
    np.testing.assert_allclose(np.array(st["out"]), expected, atol=1e-9)


def test_playground_numbers_equal_python(page, server):
    open_playground(page, server)
    rng = np.random.default_rng(7)
    cases = []
    for _ in range(12):
        k, s, p = int(rng.choice([1, 3, 5])), int(rng.integers(1, 4)), int(rng.integers(0, 3))
        image = rng.integers(0, 256, size=(int(rng.integers(k, 12)), int(rng.integers(k, 12)))) / 255
        cases.append((image, np.round(rng.normal(size=(k, k)), 3), s, p))
    got = page.evaluate(
        "cases => cases.map(([img, ker, s, p]) => DLPlayground.conv2d(img, ker, s, p))",
        [[img.tolist(), ker.tolist(), s, p] for img, ker, s, p in cases],
    )
    for (img, ker, s, p), out in zip(cases, got, strict=True):
        np.testing.assert_allclose(np.array(out), K.conv2d_loop(img, ker, stride=s, padding=p), atol=1e-12)
    assert page.evaluate("DLPlayground.outputSize(300, 3, 1, 2)") == K.output_size(300, 3, 1, 2)
    assert not page.problems


def test_playground_presets_and_editing_update_the_output(page, server):
    open_playground(page, server)
    presets = page.locator("#pg-preset option").all_inner_texts()
    assert presets == list(K.KERNEL_NAMES)
    page.select_option("#pg-preset", label="sobel x")
    st = state(page)
    assert st["k"] == K.kernel("sobel x").tolist()
    assert_matches_python(st)

    before = st["out"]
    cell = page.locator('input[aria-label="kernel row 2 column 2"]')
    cell.fill("3")
    st = state(page)
    assert st["k"][1][1] == 3 and st["out"] != before
    assert_matches_python(st)

    page.select_option("#pg-stride", "2")
    page.select_option("#pg-padding", "0")
    st = state(page)
    assert_matches_python(st)
    rows = K.output_size(len(st["input"]), 3, padding=0, stride=2)
    cols = K.output_size(len(st["input"][0]), 3, padding=0, stride=2)
    assert f"output {rows} × {cols}" in page.locator(".pg-size").inner_text()
    assert not page.problems


@pytest.mark.parametrize("name", sorted(KEY_PAGES))
def test_accessibility_no_serious_violations(page, server, name):
    assert AXE.exists(), "axe-core is missing: `make test` installs it with npm into tests/js/node_modules"
    page.goto(server + KEY_PAGES[name])
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in ("critical", "serious")
    ]
    assert not serious, serious


@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots_and_phone_width(browser, server, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    tab = context.new_page()
    try:
        for name, path in KEY_PAGES.items():
            tab.goto(server + path)
            tab.wait_for_load_state("networkidle")
            if name == "playground":
                tab.wait_for_selector("[data-playground][data-ready]")
            tab.screenshot(path=str(SHOTS / f"{name}-{width}.png"))
            overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{name} scrolls sideways by {overflow}px at {width}px"
    finally:
        context.close()
