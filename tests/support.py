"""What several test modules share: where things are (the lessons, full mode's stand-ins), a lesson's first
cell, and how a learner's image folder gets damaged (with the errors the course gives for each damage)."""

from pathlib import Path

from dlcourse.lessons import LESSONS as REGISTRY

ROOT = Path(__file__).resolve().parents[1]
LESSONS = [ROOT / lesson.notebook for lesson in REGISTRY]
# Full mode's stand-ins (`dlcourse.rehearsal`): a fixed place, reused while unchanged; 185 real-sized Pets
# JPEGs, enough for every breed to appear in training at the lessons' seeds.
REHEARSAL_HOME = ROOT / ".cache" / "rehearsal"
PER_BREED = 5


def first_cell(notebook: Path) -> str:
    """The source of a lesson's first code cell: the one that installs the course where it is missing."""
    import nbformat

    return next(c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code")


def damage(folder, fault):
    """Damage one image of `folder` as a learner's disk or download might; return the file's new name."""
    victim = sorted(folder.iterdir())[3]
    if fault == "corrupt":
        victim.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    elif fault == "truncated":
        victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    elif fault == "not an image":
        victim.write_text("notes about sandals")
    elif fault == "misnamed":
        victim = victim.rename(victim.with_name("Sandal" + victim.suffix))
    return victim.name


# What each damage does to the data, in the words of `dlcourse.data`'s errors ({} is the file's name)
FAULTS = {
    "corrupt": r"1 image file\(s\) in .* cannot be read: {}\. Delete or replace them, then run again\.",
    "truncated": r"1 image file\(s\) in .* cannot be read: {}\. Delete or replace them",
    "not an image": r"1 image file\(s\) in .* cannot be read: {}\. Delete or replace them",
    "misnamed": r"1 file name\(s\) in .* are not CLASS_NUMBER.jpg \(or .png\): {}\. Rename or remove them",
}


def watch(tab, server: str) -> None:
    """Keep in `tab.problems` every console error, page error, failed request and request outside `server`."""
    tab.problems = []
    tab.on(
        "console", lambda m: tab.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
    )
    tab.on("pageerror", lambda e: tab.problems.append(f"page error: {e}"))
    tab.on("requestfailed", lambda r: tab.problems.append(f"failed request: {r.url}"))
    tab.on(
        "request",
        lambda r: (
            None
            if r.url.startswith((server, "data:"))
            else tab.problems.append(f"request outside the site: {r.url}")
        ),
    )
