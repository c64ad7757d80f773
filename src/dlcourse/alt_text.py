"""Alt text for the lessons' figures, in words taken from the figure itself.

Once `dlcourse` is imported in a Jupyter kernel, every matplotlib figure the kernel displays carries
an `alt` entry in its `image/png` metadata: the figure's title and each panel's title, axis labels and
legend. The course site shows it to readers who cannot see the picture. A lesson can give its own
caption instead: `display(fig, metadata={"image/png": {"alt": "..."}})`.
"""

from __future__ import annotations

import sys

MAX_CHARS = 400


def _panel(ax) -> str:
    """One panel in words: its title, what it plots against what, and its legend's entries."""
    title = " ".join(t for t in (ax.get_title(loc) for loc in ("left", "center", "right")) if t)
    x, y = ax.get_xlabel(), ax.get_ylabel()
    plotted = f"{y} against {x}" if x and y else f"by {x}" if x else y
    legend = ax.get_legend()
    labels = [t.get_text() for t in legend.get_texts()] if legend else []
    parts = [title, plotted, f"lines: {', '.join(labels)}" if labels else ""]
    return ", ".join(" ".join(p.split()) for p in parts if p.strip())


def describe(fig) -> str:
    """The figure in words ("" when it has no title, label or legend to go by)."""
    panels = [text for text in (_panel(ax) for ax in fig.get_axes() if ax.get_visible()) if text]
    title = " ".join(fig.get_suptitle().split())
    if len(panels) > 1:
        panels = [f"{len(panels)} panels: " + "; ".join(panels)]
    text = ". ".join(p for p in (title, *panels) if p)
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1].rstrip() + "…"


def _alt_metadata(fig) -> tuple[dict, dict]:
    """A mime-bundle formatter that adds metadata only; IPython still draws the PNG as usual."""
    text = describe(fig)
    return {}, ({"image/png": {"alt": text}} if text else {})


def register() -> None:
    """Describe every figure displayed from now on, when running in IPython (elsewhere: nothing)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:
        shell.display_formatter.mimebundle_formatter.for_type_by_name(
            "matplotlib.figure", "Figure", _alt_metadata
        )
