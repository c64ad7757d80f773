"""Lesson figures: alt text recorded by the kernel, then published as compressed files with it."""

import base64
import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from PIL import Image  # noqa: E402

from dlcourse.alt_text import describe  # noqa: E402
from dlcourse_tools.site.figures import publish  # noqa: E402


def test_describe_uses_titles_labels_and_legend():
    fig, axes = plt.subplots(1, 2)
    fig.suptitle("Two runs")
    axes[0].plot([1, 2], label="one-cycle")
    axes[0].plot([2, 1], label="constant")
    axes[0].set(xlabel="epoch", ylabel="valid loss")
    axes[0].legend()
    axes[1].imshow(np.zeros((2, 2)))
    axes[1].set_title("the\nkernel")
    assert describe(fig) == (
        "Two runs. 2 panels: valid loss against epoch, lines: one-cycle, constant; the kernel"
    )
    plt.close(fig)
    bare = plt.figure()
    bare.add_subplot().plot([1, 2])
    assert describe(bare) == ""
    plt.close(bare)


def test_kernel_records_alt_text_and_a_lesson_can_set_its_own():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import matplotlib.pyplot as plt\nimport dlcourse\n"
            "fig, ax = plt.subplots()\nax.plot([0, 1])\nax.set_title('A line')\nplt.show()"
        ),
        nbformat.v4.new_code_cell(
            "fig, ax = plt.subplots()\nax.set_title('ignored')\n"
            "display(fig, metadata={'image/png': {'alt': 'My caption'}})\nplt.close(fig)"
        ),
    ]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    alts = [out.metadata["image/png"]["alt"] for cell in nb.cells for out in cell.outputs]
    assert alts == ["A line", "My caption"]


def png(pixels) -> str:
    buf = io.BytesIO()
    Image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def test_publish_writes_lazy_sized_files_with_alt_text(tmp_path):
    rng = np.random.default_rng(0)
    photo = png(rng.integers(0, 256, size=(60, 80, 3)))
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("## Noise\n\nFirst this.\n\nThe plot below shows *random* pixels."),
        nbformat.v4.new_code_cell(
            "show()",
            outputs=[
                nbformat.v4.new_output("display_data", {"image/png": photo, "text/plain": "<Figure>"}),
                nbformat.v4.new_output(
                    "display_data",
                    {"image/png": png(np.zeros((10, 20)))},
                    metadata={"image/png": {"alt": "Black"}},
                ),
            ],
        ),
    ]
    executed, site_copy = tmp_path / "in.ipynb", tmp_path / "site" / "in.ipynb"
    nbformat.write(nb, executed)
    figures = publish(executed, site_copy, "figures", tmp_path / "cache")

    assert [(f.alt, f.width, f.height) for f in figures] == [
        ("The plot below shows random pixels.", 80, 60),
        ("Black", 20, 10),
    ]
    assert all(Image.open(io.BytesIO(f.data)).format == "WEBP" for f in figures)
    assert len(figures[0].data) < len(base64.b64decode(photo))
    outputs = nbformat.read(site_copy, as_version=4).cells[1].outputs
    assert all(list(out.data) == ["text/html"] for out in outputs)
    imgs = [BeautifulSoup(out.data["text/html"], "html.parser").img for out in outputs]
    assert [img["src"] for img in imgs] == [f"figures/{f.name}" for f in figures]
    assert [(img["alt"], img["loading"], img["width"], img["height"]) for img in imgs] == [
        ("The plot below shows random pixels.", "lazy", "80", "60"),
        ("Black", "lazy", "20", "10"),
    ]
