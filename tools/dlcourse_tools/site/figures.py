"""Lesson figures as separate compressed image files, each with alt text, instead of inline base64.

mkdocs-jupyter would put every figure of an executed notebook into the page as base64 text (lesson 1
was a 3 MB page). `publish` writes a copy of the notebook for the site whose figures are `<img>` tags
naming WebP files (named by content), sized and lazily loaded. Alt text: the figure's own (see
`dlcourse.alt_text`), else the paragraph before the figure's code cell.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
from dataclasses import dataclass
from pathlib import Path

import markdown
import nbformat
from PIL import Image

MAX_ALT_CHARS = 200
FALLBACK_ALT = "A figure of the lesson"  # only when a figure has no alt text and no paragraph before it
_BLOCK = re.compile(r"<(p|li|h[1-6])>(.*?)</\1>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Figure:
    name: str  # file name, from the content: the same figure is one file, and a new one a new name
    data: bytes
    width: int
    height: int
    alt: str

    def tag(self, folder: str) -> str:
        return (
            f'<img class="dlcourse-figure" src="{folder}/{self.name}" alt="{html.escape(self.alt)}" '
            f'width="{self.width}" height="{self.height}" loading="lazy" decoding="async">'
        )


def compress(png: bytes) -> bytes:
    """WebP: lossless, so lines and lettering stay exact, unless lossy is under half that size (photos)."""
    image = Image.open(io.BytesIO(png))
    image.load()
    lossless, lossy = io.BytesIO(), io.BytesIO()
    image.save(lossless, format="WEBP", lossless=True, method=4)
    image.save(lossy, format="WEBP", quality=85, method=6)
    return lossy.getvalue() if 2 * lossy.tell() < lossless.tell() else lossless.getvalue()


def _compressed(png: bytes, cache: Path) -> bytes:
    """`compress(png)`, kept in `cache` by the PNG's hash so that rebuilds skip the work."""
    cached = cache / f"{hashlib.sha256(png).hexdigest()}.webp"
    if not cached.exists():
        cache.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(compress(png))
    return cached.read_bytes()


def paragraph_before(source: str) -> str:
    """The last paragraph of a markdown cell, as plain text, cut at a sentence end near MAX_ALT_CHARS."""
    blocks = _BLOCK.findall(markdown.markdown(source))
    text = " ".join(html.unescape(_TAG.sub("", blocks[-1][1])).split()) if blocks else ""
    if len(text) > MAX_ALT_CHARS:
        ends = [m.end() for m in re.finditer(r"[.:;!?](?=\s)", text[:MAX_ALT_CHARS])]
        cut = ends[-1] if ends and ends[-1] > MAX_ALT_CHARS // 2 else None
        text = text[:cut] if cut else text[: MAX_ALT_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return text


def publish(executed: Path, output: Path, folder: str, cache: Path) -> list[Figure]:
    """Write `executed` to `output` with its PNG figures as `<img>` tags naming `folder/NAME`;
    return the figures, each once."""
    nb = nbformat.read(executed, as_version=4)
    figures: dict[str, Figure] = {}
    context = ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            context = paragraph_before(cell.source) or context
            continue
        for out in cell.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png is None:
                continue
            raw = base64.b64decode(png)
            data = _compressed(raw, cache)
            with Image.open(io.BytesIO(raw)) as image:
                width, height = image.size
            own = out.get("metadata", {}).get("image/png", {}).get("alt")
            alt = own or context or FALLBACK_ALT
            figure = Figure(f"{hashlib.sha256(data).hexdigest()[:16]}.webp", data, width, height, alt)
            figures.setdefault(figure.name, figure)
            out["data"] = {"text/html": figure.tag(folder)}
            out["metadata"] = {}
    output.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, output)
    return list(figures.values())
