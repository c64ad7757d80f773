"""Benchmark: building the site from a clean cache and again with a warm one; what each page weighs.

`python -m dlcourse_tools bench site` copies the course (mkdocs.yml, docs, lessons, quiz, src, tools) to a
temporary folder, so the clean build really starts without executed lessons, and prints wall times and sizes.
`python -m dlcourse_tools bench site --built SITE` only prints the page weights of an already built site.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bs4 import BeautifulSoup

from dlcourse_tools.site.maths import KATEX_DIST

ROOT = Path(__file__).resolve().parents[3]


def page_scripts(site: Path) -> dict[str, dict[str, int]]:
    """For each page: bytes of each script it loads (files by name, inline scripts together)."""
    pages = {}
    for html in sorted(site.rglob("index.html")):
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        sizes = {"inline": 0}
        for script in soup.find_all("script"):
            if script.get("src"):
                target = (html.parent / script["src"]).resolve()
                sizes[target.name] = target.stat().st_size if target.exists() else 0
            elif script.get("type") not in ("application/json",):
                sizes["inline"] += len(script.get_text().encode())
        pages[str(html.parent.relative_to(site)) + "/"] = sizes
    return pages


def page_weight(html: Path) -> dict[str, int]:
    """Bytes a browser fetches for one page: its HTML, then the images, scripts and style sheets it
    names (each file once; fonts, which style sheets load, are left out)."""
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    weight = {"html": html.stat().st_size, "images": 0, "scripts and styles": 0}
    seen = set()
    for tag, attr, kind in (
        ("img", "src", "images"),
        ("script", "src", "scripts and styles"),
        ("link", "href", "scripts and styles"),
    ):
        for el in soup.find_all(tag):
            url = el.get(attr, "")
            if not url or ":" in url or (tag == "link" and "stylesheet" not in el.get("rel", [])):
                continue
            target = (html.parent / url.split("#")[0].split("?")[0]).resolve()
            if target not in seen and target.is_file():
                seen.add(target)
                weight[kind] += target.stat().st_size
    return weight


def print_page_weights(site: Path) -> None:
    print("lesson pages (KB): HTML, images, scripts and styles, total")
    for html in sorted((site / "lessons").glob("*/index.html")):
        weight = page_weight(html)
        parts = ", ".join(f"{size / 1024:.0f}" for size in weight.values())
        print(f"  {html.parent.name:20} {parts}, {sum(weight.values()) / 1024:.0f}")


def build(workdir: Path) -> float:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q"],
        cwd=workdir,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--built", type=Path, metavar="SITE", help="only the page weights of a built site")
    args = parser.parse_args(argv)
    if args.built:
        print_page_weights(args.built)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "course"
        work.mkdir()
        for name in ("mkdocs.yml", "docs", "lessons", "quiz", "src", "tools"):
            src = ROOT / name
            (shutil.copytree if src.is_dir() else shutil.copy)(src, work / name)
        shutil.copytree(ROOT / KATEX_DIST, work / KATEX_DIST)  # fetched once, not part of the timing
        cold = build(work)
        warm = build(work)
        site = work / "site"
        print(
            f"site build on {os.cpu_count()} CPU cores: clean cache {cold:.1f} s (executes every lesson), "
            f"cached rebuild {warm:.1f} s"
        )
        quiz_js = (site / "assets/quiz.js").stat().st_size
        playground_js = (site / "assets/playground.js").stat().st_size
        print(
            f"quiz.js {quiz_js / 1024:.1f} KB, playground.js {playground_js / 1024:.1f} KB (goal: <= 40 KB)"
        )
        for data in sorted((site / "assets/quiz").glob("[0-9][0-9].json")):
            total = quiz_js + data.stat().st_size
            print(f"  quiz page {data.stem}: quiz.js + data = {total / 1024:.1f} KB")
        print("JavaScript per page (KB; bundle.*.js is Material's theme):")
        for page, sizes in page_scripts(site).items():
            parts = ", ".join(f"{name} {size / 1024:.1f}" for name, size in sizes.items() if size)
            print(f"  {page:32} {sum(sizes.values()) / 1024:7.1f}   ({parts})")
        print_page_weights(site)


if __name__ == "__main__":
    main()
