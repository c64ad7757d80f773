"""The whole built site in real Chromium: every page, every link, the playground, accessibility, phones."""

from pathlib import Path
from urllib.parse import urljoin, urlparse

import numpy as np
import pytest
from bs4 import BeautifulSoup
from PIL import Image

from dlcourse import kernels as K
from dlcourse.lessons import LESSONS as REGISTRY
from dlcourse.links import SITE_URL
from dlcourse_tools.site.figures import FALLBACK_ALT
from dlcourse_tools.site.maths import notebook_has_math

from support import LESSONS, ROOT, watch

pytestmark = pytest.mark.browser

AXE = ROOT / "tests/js/node_modules/axe-core/axe.min.js"
SHOTS = ROOT / "test-artifacts/screenshots"
LESSON_PAGES = [f"lessons/{notebook.stem}/" for notebook in LESSONS]
# Alt text that describes nothing: Jupyter's default, and ours for a figure with no words near it.
DEFAULT_ALTS = ("No description has been provided for this image", FALLBACK_ALT)
HTML_BUDGET = 300 * 1024  # every lesson page's HTML
# What the heaviest lesson page (lesson 1) cost a browser, HTML and all it loaded, when its figures
# were inline PNGs and its notebook styles inline (measured by `transferred`, 2026-11-23). Moving them out
# made it half that; each lesson's exercises have added about 30 KB of HTML since: at most 55 % of it.
HEAVIEST_BEFORE = 3753 * 1024
KEY_PAGES = {
    "home": "",
    "lesson": "lessons/01_convolutions/",
    "quiz": "quiz/01_convolutions/",
    "exercises": "exercises/03_lr_finder/",
    "playground": "playground/",
    "classify": "classify/",
}
# Figures to look at on their own, as element screenshots: {name: (page, text in the image's alt)}.
KEY_FIGURES = {
    "lesson2-gradcam": ("lessons/02_cnn_training/", "map of"),
    "lesson2-learned-kernels": ("lessons/02_cnn_training/", "after fine_tune"),
}


def site_pages(site: Path) -> list[str]:
    return sorted(
        str(p.parent.relative_to(site)).replace(".", "") + ("/" if p.parent != site else "")
        for p in site.rglob("index.html")
        if "assets" not in p.parts
    )


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


def photo(site):
    """The playground's photo as the browser reads it: grey levels 0-255 scaled to [0, 1]."""
    return np.asarray(Image.open(site / "assets/playground/photo.png").convert("L"), dtype=float) / 255


def test_playground_pointer_shows_the_multiply_and_sum_of_conv2d_loop(page, server, site):
    """Pointing at an output pixel shows its 3x3 window and a sum equal to dlcourse.kernels.conv2d_loop."""
    open_playground(page, server)
    image, rng = photo(site), np.random.default_rng(3)
    for name, stride, padding in [("sobel x", 1, 1), ("sharpen", 2, 0), ("outline", 3, 2)]:
        page.select_option("#pg-preset", label=name)
        page.select_option("#pg-stride", str(stride))
        page.select_option("#pg-padding", str(padding))
        expected = K.conv2d_loop(image, K.kernel(name), stride=stride, padding=padding)
        padded = np.pad(image, padding)
        canvas = page.locator(".pg-figures figure").nth(1).locator("canvas")
        box = canvas.bounding_box()
        for u, v in rng.uniform(0.02, 0.98, size=(4, 2)):
            page.mouse.move(box["x"] + u * box["width"], box["y"] + v * box["height"])
            probe = page.locator(".pg-probe")
            row, col = int(probe.get_attribute("data-row")), int(probe.get_attribute("data-col"))
            assert abs(row - v * expected.shape[0]) <= 1 and abs(col - u * expected.shape[1]) <= 1
            shown = float(probe.locator(".pg-sum").inner_text().replace("\u2212", "-"))
            assert shown == pytest.approx(expected[row, col], abs=5e-5)
            window = [
                float(td.split(" × ")[0].replace("\u2212", "-"))
                for td in probe.locator("td").all_inner_texts()
            ]
            top, left = row * stride, col * stride
            np.testing.assert_allclose(window, padded[top : top + 3, left : left + 3].ravel(), atol=5e-3)
    assert not page.problems


def test_playground_draws_to_scale_with_zero_as_mid_grey(page, server):
    open_playground(page, server)
    width = "el => el.getBoundingClientRect().width"
    maps = page.locator(".pg-figures canvas")
    photo_width, full = maps.nth(0).evaluate(width), maps.nth(1).evaluate(width)
    assert abs(full - photo_width) <= 2  # stride 1, padding 1: the photo's size (plus its 1-pixel frame)
    page.select_option("#pg-stride", "2")
    assert maps.nth(1).evaluate(width) == pytest.approx(full / 2, abs=2)

    for cell in page.locator(".pg-cell").all():
        cell.fill("0")
    grey = "c => Array.from(new Set(c.getContext('2d').getImageData(0, 0, c.width, c.height).data))"
    assert sorted(maps.nth(1).evaluate(grey)) == [128, 255]  # every pixel mid-grey, alpha 255
    page.select_option("#pg-preset", label="sobel x")
    page.select_option("#pg-colours", "stretch")
    levels = maps.nth(1).evaluate(grey)
    assert min(levels) == 0 and max(levels) == 255
    assert not page.problems


def test_playground_kernel_and_output_share_a_phone_screen(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    tab = context.new_page()
    try:
        tab.goto(server + "playground/")
        tab.wait_for_selector("[data-playground][data-ready]")
        tab.locator(".pg-grid").evaluate(
            "el => window.scrollTo(0, el.getBoundingClientRect().top + scrollY - 8)"
        )
        grid = tab.locator(".pg-grid").bounding_box()
        output = tab.locator(".pg-figures figure").nth(1).locator("canvas")
        out = output.bounding_box()
        assert grid["y"] >= 0 and out["y"] + out["height"] <= 844 and out["x"] + out["width"] <= 390
        output.tap(position={"x": out["width"] / 2, "y": out["height"] / 2})
        assert tab.locator(".pg-sum").is_visible()
    finally:
        context.close()


def math_pages(site):
    return [
        p for p in site_pages(site) if "assets/katex/katex.min.js" in (site / p / "index.html").read_text()
    ]


def test_formulas_are_typeset_with_nothing_from_outside(page, server, site):
    """Pages with formulas show typeset maths, with KaTeX and its fonts served by the site itself."""
    pages = math_pages(site)
    with_maths = [f"lessons/{n.name}/" for n in REGISTRY if notebook_has_math(ROOT / n.notebook)]
    assert with_maths, "no lesson notebook has a formula"
    missing = [path for path in ["playground/", *with_maths] if path not in pages]
    assert not missing, f"pages with formulas that do not load KaTeX: {missing}"
    for path in pages:
        page.goto(server + path)
        page.wait_for_selector("html[data-math-ready]")
        assert page.locator(".katex").count() > 0 and page.locator(".katex-error").count() == 0, path
        raw = page.evaluate(
            """() => { const c = document.querySelector("article").cloneNode(true);
                       c.querySelectorAll(".katex, pre, code, script, style").forEach(e => e.remove());
                       return c.textContent; }"""
        )
        assert "$" not in raw and "\\(" not in raw and "\\[" not in raw, path
        assert page.evaluate("document.fonts.ready.then(() => document.fonts.check('16px KaTeX_Main'))")
    assert not page.problems


def test_lesson_figures_are_files_with_alt_text(page, server):
    for path in LESSON_PAGES:
        page.goto(server + path)
        images = page.locator("article img")
        assert images.count() > 0, path
        for img in images.all():
            alt = img.get_attribute("alt") or ""
            assert alt.strip() and alt not in DEFAULT_ALTS, (path, img.get_attribute("src"))
            img.scroll_into_view_if_needed()
            assert img.evaluate("i => i.decode().then(() => i.naturalWidth > 0)"), img.get_attribute("src")
        figures = page.locator("article img.dlcourse-figure")
        assert figures.count() == page.locator(".jp-OutputArea-output img").count(), path
        assert all(f.get_attribute("loading") == "lazy" and f.get_attribute("width") for f in figures.all())
    assert not page.problems


def test_what_the_network_learned_is_shown(page, server):
    """Lesson 1 learns a kernel by SGD; lesson 2 shows the first layer's kernels and Grad-CAM maps."""
    expected = {
        "lessons/01_convolutions/": ["learned in 100 SGD steps", "max pooled 2×2"],
        "lessons/02_cnn_training/": ["after fine_tune", "untrained: random numbers", "map of"],
    }
    for path, phrases in expected.items():
        page.goto(server + path)
        alts = " | ".join(img.get_attribute("alt") or "" for img in page.locator("article img").all())
        for phrase in phrases:
            assert phrase in alts, (path, phrase)
    assert not page.problems


TRANSFERRED = """() => ["navigation", "resource"].flatMap(type => performance.getEntriesByType(type))
                       .reduce((total, entry) => total + entry.encodedBodySize, 0)"""


def transferred(page, url) -> tuple[int, int]:
    """(HTML bytes, all bytes) a browser fetches for a page, scrolled top to bottom so every lazy
    figure loads."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    for img in page.locator("article img").all():
        img.scroll_into_view_if_needed()
        img.evaluate("i => i.decode()")
    page.wait_for_load_state("networkidle")
    html = page.evaluate("performance.getEntriesByType('navigation')[0].encodedBodySize")
    return html, page.evaluate(TRANSFERRED)


def test_lesson_pages_are_light(page, server):
    weights = {path: transferred(page, server + path) for path in LESSON_PAGES}
    heavy = [f"{p}: {html // 1024} KB" for p, (html, _) in weights.items() if html > HTML_BUDGET]
    assert not heavy, heavy
    heaviest = max(total for _, total in weights.values())
    assert heaviest <= HEAVIEST_BEFORE * 0.55, f"{heaviest // 1024} KB"


def test_lesson_tables_readable_in_dark_mode_on_a_phone(browser, server):
    """fastai's and pandas' tables: axe's contrast check in the dark scheme, and at 390 px they scroll
    inside their own box while the page itself does not scroll sideways."""
    assert AXE.exists(), "axe-core is missing: `make test` installs it with npm into tests/js/node_modules"
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    tab = context.new_page()
    tables = 0
    try:
        for path in LESSON_PAGES:
            tab.goto(server + path)
            tab.wait_for_load_state("networkidle")
            assert tab.evaluate("document.body.dataset.mdColorScheme") == "slate"
            assert tab.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1, path
            found = tab.locator(".jupyter-wrapper table").count()
            if not found:
                continue
            tables += found
            tab.add_script_tag(path=str(AXE))
            results = tab.evaluate(
                """async () => [
                     await axe.run({include: [[".jupyter-wrapper table"]]}, {runOnly: ["color-contrast"]}),
                     await axe.run(".jupyter-wrapper", {runOnly: ["scrollable-region-focusable"]})]"""
            )
            failing = [
                f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
                for r in results
                for v in r["violations"]
            ]
            assert not failing, (path, failing)
            boxes = tab.evaluate(
                """() => [...document.querySelectorAll(".jupyter-wrapper table")].map(t => {
                     const box = t.closest(".jp-OutputArea-output, .jp-Cell-inputWrapper");
                     return [box.getBoundingClientRect().right, t.offsetWidth > box.clientWidth,
                             box.scrollWidth > box.clientWidth, box.tabIndex]; })"""
            )
            for right, wide, scrolls, tabindex in boxes:
                assert right <= 391 and scrolls == wide and tabindex == 0, path
    finally:
        context.close()
    assert tables > 0


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


def test_exercise_hints_come_one_at_a_time_and_the_solution_only_on_its_own_click(browser, server):
    """On a phone-sized screen: each click shows one more hint, in order; the worked solution needs a last
    click that says so; the page stays axe-clean with everything revealed and never scrolls sideways."""
    from dlcourse.exercises import for_lesson

    context = browser.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    try:
        tab.goto(server + KEY_PAGES["exercises"])
        tab.wait_for_load_state("networkidle")
        for number, ex in enumerate(for_lesson("03")):
            block = tab.locator(".dlx").nth(number)
            steps, button = block.locator(".dlx-step"), block.locator("button.dlx-next")
            assert block.locator("a.md-button").get_attribute("href").endswith(f"#scrollTo={ex.anchor}")
            assert steps.count() == len(ex.hints) + 1
            for level in range(1, len(ex.hints) + 1):
                assert button.inner_text() == f"Show hint {level} of {len(ex.hints)}"
                shown = [steps.nth(i).is_visible() for i in range(steps.count())]
                assert shown == [i < level - 1 for i in range(steps.count())], shown
                button.click()
                assert steps.nth(level - 1).is_visible()
                assert f"Hint {level} of {len(ex.hints)}" in steps.nth(level - 1).inner_text()
            assert not steps.last.is_visible(), "the solution waits for its own click"
            assert button.inner_text() == "Show the worked solution"
            button.click()
            assert steps.last.is_visible() and button.count() == 0
            assert f"def {ex.function}(" in steps.last.inner_text()
        overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the exercises page scrolls sideways by {overflow}px at 390px"
        assert not serious_violations(tab)
    finally:
        context.close()
    dark = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    try:
        tab = dark.new_page()
        tab.goto(server + KEY_PAGES["exercises"])
        tab.wait_for_load_state("networkidle")
        while tab.locator("button.dlx-next").count():
            tab.locator("button.dlx-next").first.click()
        assert not serious_violations(tab), "with every hint and solution shown, in the dark scheme"
    finally:
        dark.close()


def serious_violations(tab) -> list[str]:
    """axe-core's critical and serious findings on the page as it is now."""
    tab.add_script_tag(path=str(AXE))
    results = tab.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in ("critical", "serious")
    ]


@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_loads_cleanly_and_fits_the_width(browser, server, site, width):
    """Every page loads with no console error, failed request or request outside the site, and does not
    scroll sideways, at a desktop's and a phone's width; screenshots of the key pages and figures."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    tab = context.new_page()
    watch(tab, server)
    shots = {path: name for name, path in KEY_PAGES.items()}
    pages = site_pages(site)
    assert len(pages) >= 15
    try:
        for path in pages:
            tab.goto(server + path)
            tab.wait_for_load_state("networkidle")
            if path == KEY_PAGES["playground"]:
                tab.wait_for_selector("[data-playground][data-ready]")
            if path in shots:
                tab.screenshot(path=str(SHOTS / f"{shots[path]}-{width}.png"))
            for name, (figure_page, alt) in KEY_FIGURES.items():
                if path == figure_page:
                    img = tab.locator(f'article img[alt*="{alt}"]').first
                    img.scroll_into_view_if_needed()
                    assert img.evaluate("i => i.decode().then(() => i.naturalWidth > 0)"), (name, path)
                    img.screenshot(path=str(SHOTS / f"figure-{name}-{width}.png"))
            overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{path or 'home'} scrolls sideways by {overflow}px at {width}px"
        assert not tab.problems, tab.problems
    finally:
        context.close()
