"""MkDocs hooks: bring the executed lessons and the quiz bank into the site.

* Each lesson notebook of `lessons/` is executed with nbclient (cached by content, see
  `dlcourse_tools.notebooks`) and the executed copy is handed to mkdocs-jupyter to render. Its page gets
  "Open in Colab", "Open in Kaggle" and "Open in SageMaker Studio Lab" links derived from `repo_url`, a
  download link and a line saying how and when it was executed. Its figures become separate compressed
  image files with alt text (`dlcourse_tools.site.figures`).
* The classify page gets the site's model as ONNX and ONNX Runtime Web (`site.classify`).
* Pages with formulas load KaTeX, fetched from the npm registry before the build (`site.maths`).
* Each quiz file of `quiz/` becomes a generated quiz page plus JSON data for the browser renderer;
  the bank is linted first, so a broken quiz fails the build.
* Each lesson's exercises (`dlcourse.exercises`) become a generated page (`site.exercises`).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from dlcourse.doctor import LESSON_TIMES
from dlcourse.lessons import LESSONS, by_name
from dlcourse.links import SITE_URL, launch_links
from dlcourse.quiz.bank import lint, load_bank
from dlcourse.quiz.client import client_quiz, static_text
from dlcourse_tools.notebooks import ExecutedLesson, LessonRunError, execute_lessons
from dlcourse_tools.site import classify, exercises, figures, maths, styles
from dlcourse_tools.site.effects import effects_page_section

_executed: dict[str, ExecutedLesson] = {}
_classify_transfer: list[str] = []  # the classify page's download, as a Markdown table
_shared_styles: dict[str, str] = {}  # {file name: CSS} moved out of the lesson pages (site.styles)
_MATHJAX_LOADER = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)
_PROSE_CODE_BLOCK = re.compile(r'(<div class="highlight">\s*<pre)(?![^>]*tabindex)')


def _root(config: MkDocsConfig) -> Path:
    return Path(config.config_file_path).resolve().parent


@event_priority(100)  # before mkdocs-jupyter wraps the notebooks
def on_files(files: Files, config: MkDocsConfig) -> Files:
    root = _root(config)
    executed_root = root / ".cache" / "executed"
    page_root = root / ".cache" / "site"  # the executed lessons with their figures as files
    notebooks = [root / lesson.notebook for lesson in LESSONS]
    try:
        executed = execute_lessons(notebooks, executed_root / "lessons", extra_dirs=(root / "quiz",))
    except LessonRunError as err:
        raise PluginError(f"{err}. Run it in Jupyter to see the whole traceback.") from err
    for notebook in notebooks:
        lesson = executed[notebook.name]
        uri = f"lessons/{notebook.name}"
        _executed[uri] = lesson
        cache = root / ".cache" / "figures"
        for figure in figures.publish(lesson.executed, page_root / uri, "figures", cache):
            path = f"lessons/{notebook.stem}/figures/{figure.name}"  # "figures/" from the lesson's page
            files.append(File.generated(config, path, content=figure.data))
        files.append(File(uri, str(page_root), config.site_dir, config.use_directory_urls))
    _add_quizzes(files, config, root)
    _add_exercises(files, config)
    _add_playground(files, config)
    _add_maths(files, config, root)
    _add_classifier(files, config, root)
    return files


def _add_classifier(files: Files, config: MkDocsConfig, root: Path) -> None:
    """The classify page's model, examples, script and ONNX Runtime Web (`site.classify`)."""
    try:
        assets = classify.page_assets(root, root / ".cache" / "classify")
    except FileNotFoundError as err:
        raise PluginError(str(err)) from err
    for uri, data in assets.items():
        files.append(File.generated(config, uri, content=data))
    _classify_transfer[:] = [classify.transfer_markdown(classify.transfer(assets))]


def _add_maths(files: Files, config: MkDocsConfig, root: Path) -> None:
    """KaTeX (fetched from the npm registry by `make katex`) and the script that typesets with it."""
    try:
        vendored = maths.katex_files(root)
    except FileNotFoundError as err:
        raise PluginError(str(err)) from err
    for uri, path in vendored.items():
        files.append(File.generated(config, uri, abs_src_path=str(path)))
    script = Path(__file__).parent / "static" / "math.js"
    files.append(File.generated(config, "assets/math.js", abs_src_path=str(script)))


def _add_exercises(files: Files, config: MkDocsConfig) -> None:
    """A page of exercises per lesson that has them, and the script that reveals their hints."""
    from dlcourse.exercises import for_lesson

    for lesson in LESSONS:
        if found := for_lesson(lesson.quiz):
            content = exercises.page(lesson, found, config.repo_url)
            files.append(File.generated(config, f"exercises/{lesson.name}.md", content=content))
    script = Path(__file__).parent / "static" / "exercises.js"
    files.append(File.generated(config, "assets/exercises.js", abs_src_path=str(script)))


def _add_playground(files: Files, config: MkDocsConfig) -> None:
    """The playground's presets (dlcourse.kernels' named kernels), its photo and its script."""
    import io

    import numpy as np
    from PIL import Image

    from dlcourse.images import photo
    from dlcourse.kernels import KERNEL_NAMES, kernel

    presets = [{"name": name, "values": kernel(name).tolist()} for name in KERNEL_NAMES]
    png = io.BytesIO()
    Image.fromarray(np.round(photo("chelsea", gray=True) * 255).astype(np.uint8)).save(png, format="PNG")
    files.append(File.generated(config, "assets/playground/kernels.json", content=json.dumps(presets)))
    files.append(File.generated(config, "assets/playground/photo.png", content=png.getvalue()))
    script = (Path(__file__).parent / "static" / "playground.js").read_text(encoding="utf-8")
    files.append(File.generated(config, "assets/playground.js", content=script))


def _add_quizzes(files: Files, config: MkDocsConfig, root: Path) -> None:
    problems = lint(root / "quiz")
    if problems:
        raise PluginError("the quiz bank has problems (run `dlcourse quiz lint`):\n" + "\n".join(problems))
    index = []
    for quiz in load_bank(root / "quiz"):
        name = quiz.path.stem
        data = json.dumps(client_quiz(quiz), ensure_ascii=False, separators=(",", ":"))
        files.append(File.generated(config, f"assets/quiz/{quiz.lesson}.json", content=data))
        page = File.generated(config, f"quiz/{name}.md", content=_quiz_page(quiz, name))
        files.append(page)
        ids = [item.id for item in quiz.items]
        index.append(
            {
                "lesson": quiz.lesson,
                "title": quiz.title,
                "url": page.url,
                "data": f"{quiz.lesson}.json",
                "ids": ids,
            }
        )
    files.append(File.generated(config, "assets/quiz/index.json", content=json.dumps({"lessons": index})))
    for asset in ("quiz.js", "quiz.css"):
        files.append(File.generated(config, f"assets/{asset}", content=static_text(asset)))


def _quiz_page(quiz, name: str) -> str:
    computed = (
        f" For {quiz.n_computed} of them the numbers are computed by the course's code, and you get new "
        "numbers each time you start again."
        if quiz.n_computed
        else ""
    )
    return (
        f"# Quiz: {html.escape(quiz.title)}\n\n"
        f"{len(quiz.items)} questions.{computed} Check each answer as you go; your answers and progress are "
        "kept in this browser and feed the [review page](../review.md).\n\n"
        f'<div class="dlq" data-dlq-quiz="../../assets/quiz/{quiz.lesson}.json" '
        'data-dlq-root="../../"></div>\n'
        "<noscript>This quiz needs JavaScript. In a terminal: "
        f"<code>dlcourse quiz {quiz.lesson}</code>.</noscript>\n\n"
        f"[Back to the lesson page](../{quiz.page}) · In a terminal: `dlcourse quiz {quiz.lesson}`\n"
    )


ROOT = Path(__file__).resolve().parents[3]  # the course's checkout
GPU_RECORD = LESSON_TIMES["full"]  # `bench lessons --full --record` on a GPU


def gpu_seconds(record: Path = GPU_RECORD, lessons: Path = ROOT / "lessons") -> dict[str, str]:
    """Each lesson's measured full-mode run on a GPU, in words, from the record of a GPU run (if any); a
    lesson that stopped with an error says so, and a lesson changed since the run says that too."""
    if not record.exists():
        return {}
    run = json.loads(record.read_text())
    where = f"{run['device']}{'' if 'T4' in run['device'] else ' (not a T4)'}, {run['date']}"
    words = {}
    for r in run["lessons"]:
        text = f"{r['seconds']:.0f} s on {where}" if "seconds" in r else f"stopped with an error on {where}"
        notebook = lessons / r["lesson"]
        if (
            "sha256" in r
            and notebook.exists()
            and hashlib.sha256(notebook.read_bytes()).hexdigest() != r["sha256"]
        ):
            text += " (the lesson has changed since)"
        words[r["lesson"]] = text
    return words


def lesson_times_table(record: Path) -> str:
    """The Performance page's table of a recorded run of every lesson (`bench lessons --record`): versions,
    data, and each lesson's time or error."""
    if not record.exists():
        return "No run has been recorded yet."
    run = json.loads(record.read_text())
    rows = [
        f"Measured {run['date']} on {run['device']}: Python {run['python']}, torch {run['torch']}, "
        f"fastai {run['fastai']}"
        + "".join(f", {name} {version}" for name, version in run.get("packages", {}).items())
        + f"; data: {run['data']}.",
        "",
        f"| lesson | {run['mode']} mode on {'the GPU' if run['mode'] == 'full' else 'the CPU'} |",
        "|---|---|",
    ]
    for r in sorted(run["lessons"], key=lambda r: r["lesson"]):
        result = f"{r['seconds']:.0f} s" if "seconds" in r else f"stopped: {html.escape(r['error'])}"
        rows.append(f"| {r['lesson'].removesuffix('.ipynb')} | {result.replace('|', '/')} |")
    return "\n".join(rows)


TWIN_RECORD = Path(__file__).resolve().parent / "colab_twin.json"  # `make test-colab`


def colab_twin_section(record: Path = TWIN_RECORD) -> str:
    """The Performance page's account of the last run of the Colab twin: when, on which versions, what
    installing cost, and whether the install kept Colab's packages and every lesson ran."""
    if not record.exists():
        return "No run has been recorded yet."
    run = json.loads(record.read_text())
    build, versions = run["build"], run["versions"]
    verdict = (
        f"all {run['tests']} of its tests passed"
        if not run["failed"]
        else f"{len(run['failed'])} of its {run['tests']} tests failed: "
        + "; ".join(f"`{name}`: {html.escape(message)}" for name, message in run["failed"].items())
    )
    rows = [
        f"Last run {run['date']} ({run['machine']}), with Colab's package list of {run['colab_list']}: "
        f"Python {build['python']}, "
        + ", ".join(f"{name} {version}" for name, version in versions.items())
        + f"; {verdict}.",
        "",
        f"Installing Colab's versions of the {build['colab_packages']} packages took "
        f"{build['seconds']:.0f} s from PyPI, {build['torch_seconds']:.0f} s of them for torch and "
        f"torchvision (PyPI's build of Colab's releases), and {build['megabytes'] / 1000:.1f} GB of disk. "
        "Then each lesson's first cell:",
        "",
        "| lessons | the first cell's install | packages it adds to Colab's |",
        "|---|---|---|",
    ]
    for cell in run["install_cells"]:
        lessons = ", ".join(name[:2].lstrip("0") for name in cell["lessons"])
        rows.append(
            f"| {lessons} | {cell['seconds']:.0f} s | {len(cell['added'])}: {', '.join(cell['added'])} |"
        )
    return "\n".join(rows)


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """The home page's course map (each lesson, what it teaches, how long it took to run here) and the
    Offline-mode page's tables of effects over seeds (from the record of `dlcourse.experiments`)."""
    for mode, placeholder in (("full", "<!-- gpu-lessons -->"), ("offline", "<!-- cpu-lessons -->")):
        markdown = markdown.replace(placeholder, lesson_times_table(LESSON_TIMES[mode]))
    if "<!-- colab-twin -->" in markdown:
        markdown = markdown.replace("<!-- colab-twin -->", colab_twin_section())
    if "<!-- classify-transfer -->" in markdown:
        markdown = markdown.replace("<!-- classify-transfer -->", _classify_transfer[0])
    if "<!-- offline-effects -->" in markdown:
        from dlcourse.offline_model import pretraining_paragraph

        markdown = markdown.replace("<!-- offline-model -->", pretraining_paragraph())
        return markdown.replace("<!-- offline-effects -->", effects_page_section())
    if "<!-- course-map -->" not in markdown:
        return markdown
    gpu = gpu_seconds()
    rows = [
        "| # | Lesson | What you do | Offline run (this build) | Full mode on a GPU |",
        "|---|---|---|---|---|",
    ]
    for uri, lesson in sorted(_executed.items()):
        info = by_name(lesson.source.name)
        rows.append(
            f"| {info.number} | [{info.title}]({uri}) · [quiz](quiz/{info.name}.md){_exercises_link(info)} | "
            f"{info.summary} | "
            f"{lesson.metadata['seconds']:.0f} s on {lesson.metadata['device']} | "
            f"{gpu.get(lesson.source.name, 'not measured yet')} |"
        )
    rows += [
        "",
        "The offline runs are this build's, two lessons at a time and each on one thread: a lesson run alone "
        "on the same machine takes less.",
    ]
    return markdown.replace("<!-- course-map -->", "\n".join(rows))


def _exercises_link(lesson) -> str:
    from dlcourse.exercises import for_lesson

    count = len(for_lesson(lesson.quiz))
    return f" · [{count} exercises](exercises/{lesson.name}.md)" if count else ""


def on_page_content(content: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    # Absolute links to the public site (they work in Colab) stay inside this build of it.
    depth = page.url.count("/")
    content = content.replace(f'href="{SITE_URL}', f'href="{"../" * depth}')
    lesson = _executed.get(page.file.src_uri)
    if lesson is None:
        return content + maths.tags("../" * depth) if maths.page_has_math(content) else content
    name = lesson.source.name
    meta = lesson.metadata
    banner = (
        '<div class="dlcourse-lesson-bar">'
        + " ".join(
            f'<a class="{"md-button md-button--primary" if i == 0 else "md-button"}" '
            f'href="{html.escape(url)}">{label}</a>'
            for i, (label, url) in enumerate(launch_links(config.repo_url, name).items())
        )
        + f' <a class="md-button" href="../{name}" download>Download notebook</a>'
        f'<p class="dlcourse-run-info">This page was executed in {html.escape(meta["mode"])} mode on '
        f"{html.escape(meta['device'])}, {html.escape(meta['executed_at'])}, in {meta['seconds']:.0f} s.</p>"
        "</div>"
    )
    head, sep, rest = content.partition("</h1>")
    content = head + sep + banner + rest if sep else banner + content
    # nbconvert's template loads MathJax from a CDN (here: an empty src); KaTeX typesets instead.
    content = _MATHJAX_LOADER.sub("", content)
    content, sheet, css = styles.share(content, "../" * depth)
    if sheet:
        _shared_styles[sheet] = css
    if maths.notebook_has_math(lesson.source):
        content += maths.tags("../" * depth)
    # Code cells, and code blocks in the prose cells, scroll sideways on narrow screens: make them
    # reachable by keyboard (axe: scrollable-region-focusable). math.js does the same for wide formulas.
    content = content.replace('<div class="highlight-ipynb', '<div tabindex="0" class="highlight-ipynb')
    return _PROSE_CODE_BLOCK.sub(r'\1 tabindex="0"', content)


def on_post_build(config: MkDocsConfig) -> None:
    """Publish the clean notebooks next to their pages, for the download links, and the lessons'
    shared style sheet."""
    for sheet, css in _shared_styles.items():
        (Path(config.site_dir) / "assets" / sheet).write_text(css, encoding="utf-8")
    for lesson in _executed.values():
        target = Path(config.site_dir) / "lessons" / lesson.source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(lesson.source, target)
