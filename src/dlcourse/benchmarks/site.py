"""Benchmark: building the site from a clean cache and again with a warm one; JavaScript per page.

`dlcourse bench site` copies the course (mkdocs.yml, docs, lessons, quiz, src) to a temporary folder,
so the clean build really starts without executed lessons, and prints wall times and sizes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bs4 import BeautifulSoup

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


def build(workdir: Path) -> float:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    start = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "-q"],
        cwd=workdir,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "course"
        work.mkdir()
        for name in ("mkdocs.yml", "docs", "lessons", "quiz", "src"):
            src = ROOT / name
            (shutil.copytree if src.is_dir() else shutil.copy)(src, work / name)
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


if __name__ == "__main__":
    main()
