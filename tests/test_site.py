"""The site builds strictly from the executed lessons, offline, with working lesson links."""

import hashlib
from urllib.parse import urlparse

import nbformat
import pytest
from bs4 import BeautifulSoup
from PIL import Image

from dlcourse.links import launch_links

from support import LESSONS, ROOT


def html_page(site, path):
    return BeautifulSoup((site / path / "index.html").read_text(), "html.parser")


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_lesson_page_has_its_figures_and_links(site, notebook):
    soup = html_page(site, f"lessons/{notebook.stem}")
    executed = nbformat.read(ROOT / ".cache/executed/lessons" / notebook.name, as_version=4)
    pngs = [
        out
        for cell in executed.cells
        for out in cell.get("outputs", ())
        if "image/png" in out.get("data", {})
    ]
    figures = soup.select("img.dlcourse-figure")
    assert len(figures) == len(pngs) > 0
    assert not soup.select('img[src^="data:"]'), "figures are files, not inline"
    for img in figures:
        assert Image.open(site / "lessons" / notebook.stem / img["src"]).format == "WEBP"
    styles = soup.select_one('link[href*="assets/notebook-"]')  # shared by the lessons, not inline
    assert (site / "lessons" / notebook.stem / styles["href"]).stat().st_size > 100_000
    for label, url in launch_links("https://github.com/dlcourse/dlcourse", notebook.name).items():
        assert soup.find("a", string=label)["href"] == url, label
    download = soup.find("a", string="Download notebook")
    assert (site / "lessons" / notebook.stem / download["href"]).resolve() == site / "lessons" / notebook.name
    assert (site / "lessons" / notebook.name).read_bytes() == notebook.read_bytes()
    assert "executed in offline mode" in soup.select_one(".dlcourse-run-info").text


def test_lesson_1_page_shows_the_kernel_gallery(site):
    """The section on classic kernels holds two real pictures: the kernels, then the filtered photos."""
    soup = html_page(site, "lessons/01_convolutions")
    section = soup.find("h2", id="classic-kernels-on-a-photograph")
    figures = []
    for el in section.find_all_next(["h2", "img"]):
        if el.name == "h2":
            break
        figures.append(Image.open(site / "lessons/01_convolutions" / el["src"]))
    assert len(figures) == 2
    gallery = figures[1]
    assert gallery.width > 800 and gallery.height > 400
    assert len(set(gallery.convert("L").get_flattened_data())) > 200, "a photo, not a blank canvas"


def test_home_links_to_every_lesson(site):
    hrefs = {a["href"] for a in html_page(site, "").find_all("a", href=True)}
    for notebook in LESSONS:
        assert f"lessons/{notebook.stem}/" in hrefs


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_each_lessons_exercises_have_a_page_with_task_starter_colab_link_and_hidden_hints(site, notebook):
    from dlcourse.exercises import for_lesson
    from dlcourse.lessons import by_name
    from dlcourse.links import colab_url

    lesson = by_name(notebook.name)
    exercises = for_lesson(lesson.quiz)
    if not exercises:
        assert not (site / "exercises" / notebook.stem).exists()
        return
    soup = html_page(site, f"exercises/{notebook.stem}")
    assert f"exercises/{notebook.stem}/" in {a["href"] for a in html_page(site, "").find_all("a", href=True)}
    for ex, block in zip(exercises, soup.select(".dlx"), strict=True):
        heading = soup.find("h2", id=ex.anchor)
        assert ex.title in heading.text
        assert ex.starter.strip().splitlines()[0] in heading.find_next("pre").text
        colab = block.find("a", string="Open in Colab at this exercise")["href"]
        assert (
            colab
            == f"{colab_url('https://github.com/dlcourse/dlcourse', notebook.name)}#scrollTo={ex.anchor}"
        )
        steps = block.select(".dlx-step")
        assert all(step.has_attr("hidden") for step in steps), "nothing shows before a click"
        assert [s["class"][1] for s in steps] == ["dlx-hint"] * len(ex.hints) + ["dlx-solution"]
        assert "def " + ex.function in steps[-1].text


def test_no_request_leaves_the_site(site):
    """Fonts, scripts, styles and images all come from the site itself: nothing from a CDN."""
    offenders = []
    for html in site.rglob("*.html"):
        soup = BeautifulSoup(html.read_text(), "html.parser")
        for tag, attr in [
            ("script", "src"),
            ("link", "href"),
            ("img", "src"),
            ("iframe", "src"),
            ("source", "src"),
            ("video", "src"),
            ("audio", "src"),
        ]:
            for el in soup.find_all(tag):
                url = el.get(attr)
                if tag == "link" and not {"stylesheet", "icon", "preload", "modulepreload"} & set(el["rel"]):
                    continue  # rel=canonical and friends name a URL but never load it
                if url and urlparse(url).scheme in ("http", "https", "") and urlparse(url).netloc:
                    offenders.append(f"{html.relative_to(site)}: <{tag} {attr}={url}>")
                if tag == "script" and url == "":
                    offenders.append(f"{html.relative_to(site)}: <script src=''>")
    for css in site.rglob("*.css"):
        if "fonts.googleapis" in css.read_text() or "@import url(http" in css.read_text():
            offenders.append(str(css.relative_to(site)))
    assert not offenders, offenders


def test_course_map_gpu_column_comes_from_a_gpu_runs_record(tmp_path):
    from dlcourse_tools.site.hooks import gpu_seconds, lesson_times_table

    assert gpu_seconds(tmp_path / "none.json") == {}
    record = tmp_path / "gpu.json"
    record.write_text(
        '{"mode": "full", "device": "NVIDIA H100 80GB HBM3", "date": "2026-11-23", '
        '"python": "3.12.3", "torch": "2.11.0", "fastai": "2.8.8", "data": "stand-ins", '
        '"lessons": [{"lesson": "02_cnn_training.ipynb", "seconds": 41.4}, '
        '{"lesson": "07_multi_label.ipynb", "error": "RuntimeError: a | b"}]}'
    )
    assert gpu_seconds(record) == {
        "02_cnn_training.ipynb": "41 s on NVIDIA H100 80GB HBM3 (not a T4), 2026-11-23",
        "07_multi_label.ipynb": "stopped with an error on NVIDIA H100 80GB HBM3 (not a T4), 2026-11-23",
    }
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "02_cnn_training.ipynb").write_text("as it ran")
    (lessons / "07_multi_label.ipynb").write_text("changed")
    ran = hashlib.sha256(b"as it ran").hexdigest()
    record.write_text(record.read_text().replace('"seconds": 41.4}', f'"seconds": 41.4, "sha256": "{ran}"}}'))
    record.write_text(
        record.read_text().replace(
            '"error": "RuntimeError: a | b"}', f'"error": "RuntimeError: a | b", "sha256": "{ran}"}}'
        )
    )
    assert gpu_seconds(record, lessons) == {
        "02_cnn_training.ipynb": "41 s on NVIDIA H100 80GB HBM3 (not a T4), 2026-11-23",
        "07_multi_label.ipynb": "stopped with an error on NVIDIA H100 80GB HBM3 (not a T4), 2026-11-23"
        " (the lesson has changed since)",
    }
    table = lesson_times_table(record)
    assert "| lesson | full mode on the GPU |" in table
    assert (
        "| 02_cnn_training | 41 s |" in table and "| 07_multi_label | stopped: RuntimeError: a / b |" in table
    )
    assert "torch 2.11.0, fastai 2.8.8" in table


def test_notebook_styles_move_to_one_shared_sheet_without_blueprint():
    from dlcourse_tools.site.styles import share

    page = (
        '<h1>L</h1><style type="text/css">.a{x:1} .w .bp3-b, .w .bp3-c{y:2}</style><script>s()</script>'
        '<style>@media print{.bp3-d{z:3}.e{q:1}}</style><div class="jupyter-wrapper"><style>.out{}</style>'
    )
    content, name, css = share(page, "../../")
    assert content == (
        f'<h1>L</h1><link rel="stylesheet" href="../../assets/{name}"><script>s()</script>'
        '<div class="jupyter-wrapper"><style>.out{}</style>'
    )
    assert css == ".a{x:1}\n@media print{.e{q:1}}"
    assert share("<p>no notebook</p>", "") == ("<p>no notebook</p>", "", "")
