"""One shared style sheet for the lesson pages' notebook styles.

mkdocs-jupyter writes JupyterLab's styles (about 600 KB) into every lesson page, before the first cell.
`share` moves them into a style sheet named by its content, which a browser fetches once for all the
lessons and keeps; the page keeps only a link to it. The sheet leaves out the styles of JupyterLab's
Blueprint widgets (`.bp3-*`, more than half of it): a notebook rendered as a page has none.
"""

from __future__ import annotations

import hashlib
import re

_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL)
_FIRST_CELL = '<div class="jupyter-wrapper"'
_RULE = re.compile(r"([^{}]+)\{[^{}]*\}")


def _without_blueprint(css: str) -> str:
    """`css` less the rules all of whose selectors style Blueprint widgets."""
    return _RULE.sub(lambda m: "" if all(".bp3-" in s for s in m.group(1).split(",")) else m.group(0), css)


def share(content: str, prefix: str) -> tuple[str, str, str]:
    """(the page without the styles before its first cell, linking to `prefix`assets/NAME instead;
    NAME; the style sheet). Pages without such styles come back unchanged, with NAME and sheet ''."""
    head, sep, rest = content.partition(_FIRST_CELL)
    first = _STYLE.search(head)
    if not sep or first is None:
        return content, "", ""
    css = _without_blueprint("\n".join(m.group(1) for m in _STYLE.finditer(head)))
    name = f"notebook-{hashlib.sha256(css.encode()).hexdigest()[:12]}.css"
    link = f'<link rel="stylesheet" href="{prefix}assets/{name}">'
    return head[: first.start()] + link + _STYLE.sub("", head[first.end() :]) + sep + rest, name, css
