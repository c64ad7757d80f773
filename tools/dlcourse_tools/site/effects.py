"""The Offline-mode page's tables of effects over seeds, from the record of `dlcourse.experiments`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dlcourse import experiments


def markdown_table(table: pd.DataFrame, index: bool = True) -> str:
    """A DataFrame as a Markdown table (for the docs pages)."""
    table = table.reset_index() if index else table
    cells = [
        [str(c) for c in table.columns],
        *[[str(v) for v in row] for row in table.itertuples(index=False)],
    ]
    lines = ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join([lines[0], "|" + "---|" * len(table.columns), *lines[1:]])


def effects_page_section(record: Path = experiments.RECORD) -> str:
    """The Offline-mode page's tables: the summary of every effect, then each experiment per seed."""
    rows = experiments.recorded(record)
    table = experiments.summary(rows)
    table["robust"] = table["robust"].map({True: "yes", False: "**no**"})
    parts = [experiments.record_caption(record), "", markdown_table(table, index=False)]
    for function in experiments.functions():
        parts += [
            "",
            f"`experiments.{function.__name__}` (error %):",
            "",
            markdown_table(experiments.seed_table(function.__name__, rows)),
        ]
    return "\n".join(parts)
