"""MkDocs hooks: bring the executed lessons of `lessons/` into the site.

Each lesson notebook is executed with nbclient (cached by content, see
`dlcourse.notebooks`) and the executed copy is handed to mkdocs-jupyter to render.
Every lesson page gets an "Open in Colab" link derived from `repo_url`, a link to
download the notebook, and a line saying how and when it was executed.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from dlcourse.notebooks import ExecutedLesson, execute_cached
from dlcourse.site.links import colab_url

_executed: dict[str, ExecutedLesson] = {}
_MATHJAX_LOADER = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)


def _root(config: MkDocsConfig) -> Path:
    return Path(config.config_file_path).resolve().parent


@event_priority(100)  # before mkdocs-jupyter wraps the notebooks
def on_files(files: Files, config: MkDocsConfig) -> Files:
    root = _root(config)
    executed_root = root / ".cache" / "executed"
    for notebook in sorted((root / "lessons").glob("[0-9][0-9]_*.ipynb")):
        lesson = execute_cached(notebook, executed_root / "lessons", extra_dirs=(root / "quiz",))
        uri = f"lessons/{notebook.name}"
        _executed[uri] = lesson
        files.append(File(uri, str(executed_root), config.site_dir, config.use_directory_urls))
    return files


def on_page_content(content: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    lesson = _executed.get(page.file.src_uri)
    if lesson is None:
        return content
    name = lesson.source.name
    meta = lesson.metadata
    banner = (
        '<div class="dlcourse-lesson-bar">'
        f'<a class="md-button md-button--primary" href="{html.escape(colab_url(config.repo_url, name))}">'
        "Open in Colab</a> "
        f'<a class="md-button" href="../{name}" download>Download notebook</a>'
        f'<p class="dlcourse-run-info">This page was executed in {html.escape(meta["mode"])} mode on '
        f'{html.escape(meta["device"])}, {html.escape(meta["executed_at"])}, in {meta["seconds"]:.0f} s.</p>'
        "</div>"
    )
    head, sep, rest = content.partition("</h1>")
    content = head + sep + banner + rest if sep else banner + content
    # nbconvert's template loads MathJax from a CDN (here: an empty src). The lessons use no math;
    # if one ever does, vendor MathJax and set mkdocs-jupyter's custom_mathjax_url instead.
    return _MATHJAX_LOADER.sub("", content)


def on_post_build(config: MkDocsConfig) -> None:
    """Publish the clean notebooks next to their pages, for the download links."""
    for lesson in _executed.values():
        target = Path(config.site_dir) / "lessons" / lesson.source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(lesson.source, target)
