"""Typeset maths with KaTeX, fetched from the npm registry before the build (`make katex`), no CDN.

Docs pages write formulas as `$...$` and `$$...$$` (pymdownx.arithmatex marks them); lesson notebooks
write them the same way in markdown cells, which also renders in Jupyter and Colab. Pages with a
formula load KaTeX and `math.js`, which typesets both in the browser; other pages load nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

KATEX_DIST = Path(".cache/vendor/node_modules/katex/dist")  # under the course root; see the Makefile
_FORMULA = re.compile(r"\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\]", re.DOTALL)


def katex_files(root: Path) -> dict[str, Path]:
    """{site path: file} for KaTeX's script, auto-render, style sheet and fonts (WOFF2 only)."""
    dist = root / KATEX_DIST
    if not (dist / "katex.min.js").exists():
        raise FileNotFoundError(f"KaTeX is missing from {dist}: `make katex` fetches it from npm")
    names = ["katex.min.js", "katex.min.css", "contrib/auto-render.min.js"]
    names += [f"fonts/{font.name}" for font in sorted((dist / "fonts").glob("*.woff2"))]
    return {f"assets/katex/{name}": dist / name for name in names}


def notebook_has_math(notebook: Path) -> bool:
    nb = nbformat.read(notebook, as_version=4)
    return any(_FORMULA.search(cell.source) for cell in nb.cells if cell.cell_type == "markdown")


def page_has_math(content: str) -> bool:
    """Whether a docs page's HTML holds a formula marked by pymdownx.arithmatex."""
    return 'class="arithmatex"' in content


def tags(prefix: str) -> str:
    """The style sheet and scripts that typeset a page, `prefix` leading from it to the site root."""
    scripts = ["katex/katex.min.js", "katex/contrib/auto-render.min.js", "math.js"]
    return f'<link rel="stylesheet" href="{prefix}assets/katex/katex.min.css">' + "".join(
        f'<script defer src="{prefix}assets/{script}"></script>' for script in scripts
    )
