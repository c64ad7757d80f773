"""Files shipped inside the package (the offline model, its record, the lesson images): their one error."""

from __future__ import annotations

from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


class BundledFileError(RuntimeError):
    """A bundled file that is missing or damaged, with how to restore it."""


def damaged(path: Path, reason: object, rebuild: str = "python -m dlcourse.pretrain") -> BundledFileError:
    """The error for `path`: reinstall (or restore in a clone of the course), or rebuild with `rebuild`."""
    return BundledFileError(
        f"{path} is missing or damaged ({reason}). Restore it with "
        "`pip install --force-reinstall --no-deps dlcourse` (in a clone of the course: "
        f"`git checkout -- src/dlcourse/weights`), or rebuild it with `{rebuild}`."
    )
