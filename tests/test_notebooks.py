"""Executing lessons: a failing lesson is named, a damaged cached copy is rebuilt."""

from types import SimpleNamespace

import nbformat
import pytest
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files

from dlcourse_tools import notebooks
from dlcourse_tools.site import hooks


def write_notebook(path, *code):
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# A lesson"), *map(nbformat.v4.new_code_cell, code)]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_a_failing_lesson_is_named_with_its_cell(tmp_path):
    notebook = write_notebook(tmp_path / "broken.ipynb", "x = 1", "raise ValueError('no such breed')")
    with pytest.raises(
        notebooks.LessonRunError,
        match=r"broken.ipynb stopped with an error in code cell 2: "
        r"ValueError: no such breed",
    ):
        notebooks.execute(notebook, tmp_path / "out.ipynb", setup="y = 2")


def test_a_lesson_failing_in_the_site_build_names_the_notebook(tmp_path):
    """The lessons run two at a time: the one that fails is named, whichever lane it is in."""
    from dlcourse.lessons import LESSONS

    for lesson in LESSONS:
        write_notebook(tmp_path / lesson.notebook, "print('fine')")
    write_notebook(tmp_path / "lessons" / "01_convolutions.ipynb", "1 / 0")
    config = SimpleNamespace(
        config_file_path=str(tmp_path / "mkdocs.yml"),
        site_dir=str(tmp_path / "site"),
        use_directory_urls=True,
    )
    with pytest.raises(
        PluginError,
        match=r"lessons/01_convolutions.ipynb stopped with an error in code cell 1: "
        r"ZeroDivisionError: division by zero. Run it in Jupyter",
    ):
        hooks.on_files(Files([]), config)


def test_a_damaged_cached_copy_is_run_again(tmp_path):
    notebook = write_notebook(tmp_path / "fine.ipynb", "print(6 * 7)")
    cache = tmp_path / "cache"
    first = notebooks.execute_cached(notebook, cache)
    assert not first.from_cache and notebooks.execute_cached(notebook, cache).from_cache
    for damage in (b'{"cells": [', b"", b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}'):
        first.executed.write_bytes(damage)  # cut short, emptied, or without the run's record
        again = notebooks.execute_cached(notebook, cache)
        assert not again.from_cache and again.metadata["mode"] == "offline"
        assert "42" in nbformat.read(again.executed, as_version=4).cells[1].outputs[0].text
