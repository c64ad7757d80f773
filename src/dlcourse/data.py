"""Data plumbing shared by the four data sets (Pets, Planet, CamVid, IMDB): the one error, where data
lives, downloads through fastai, writing a generated folder once, and checks of image files.

Each data set has its own module: `dlcourse.pets`, `dlcourse.multilabel` (Planet), `dlcourse.segmentation`
(CamVid) and `dlcourse.text` (IMDB); their settings per mode are in `dlcourse.settings`.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from dlcourse.mode import has_internet


class DataError(RuntimeError):
    """A dataset that cannot be used, with what to do about it."""


def data_root() -> Path:
    """Where the offline images and caches live: $DLCOURSE_DATA, or ~/.cache/dlcourse."""
    root = Path(os.environ.get("DLCOURSE_DATA") or Path.home() / ".cache" / "dlcourse")
    for folder in (root, *root.parents):
        if folder.exists():
            if not folder.is_dir():
                raise DataError(
                    f"{folder} is a file, not a folder: point DLCOURSE_DATA at a folder, or unset it"
                )
            break
    return root


def untar_data_path(url: str) -> Path:
    """Where fastai's `untar_data(url)` keeps the extracted data (it downloads nothing when that exists)."""
    from fastai.data.external import fastai_path

    name = url.rsplit("/", 1)[-1]
    for suffix in (".tgz", ".tar.gz", ".zip", ".tar"):
        name = name.removesuffix(suffix)
    return fastai_path("data") / name


OFFLINE_HINT = "Use offline mode instead: set DLCOURSE_MODE=offline, or pass --offline to `dlcourse train`."


def download(url: str, what: str, timeout_s: float = 3.0) -> Path:
    """fastai's `untar_data(url)`, failing with a clear error that names offline mode: within seconds,
    before any download starts, when the host cannot be reached; and when the download itself fails."""
    from fastai.data.external import untar_data

    extracted = untar_data_path(url)
    if extracted.exists():  # downloaded before: fastai would return it too, without going online
        return extracted
    if not has_internet(timeout_s=timeout_s):
        raise DataError(f"cannot reach the server of {what} (no internet?). {OFFLINE_HINT}")
    try:
        return Path(untar_data(url))
    except Exception as err:  # fastai raises URLError, HTTPError, tarfile errors...
        raise DataError(f"downloading {what} to {extracted} failed: {err}. {OFFLINE_HINT}") from err


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")

# What a generated folder must hold: each file's path inside it, and its exact text or bytes, a check of
# the file (a function of its path), or None when its presence is enough.
Expected = dict[str, "str | bytes | Callable[[Path], bool] | None"]


def write_folder_once(dest: Path, expected: Expected, write: Callable[[Path], None]) -> Path:
    """`dest` as `write(folder)` makes it, unless it already holds `expected` (`holds`).

    Safe when several processes (two lesson kernels, a training run) prepare the same folder at once: one
    of them writes a hidden temporary folder under a file lock and renames it into place; the others wait
    for it and use its copy. A complete folder is never deleted; an incomplete one is set aside, then
    removed. `write` finds the subfolders of `expected` made.
    """
    from filelock import FileLock

    if holds(dest, expected):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(dest.parent / f".{dest.name}.lock"):
        if holds(dest, expected):  # another process made it while this one waited
            return dest
        for leftover in dest.parent.glob(f".{dest.name}.tmp-*"):  # from a run that was killed
            shutil.rmtree(leftover, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
        for sub in {Path(name).parent for name in expected}:
            (tmp / sub).mkdir(parents=True, exist_ok=True)
        write(tmp)
        if not holds(tmp, expected):
            raise DataError(f"writing {dest} made other files than expected; this is a bug in the course")
        if dest.exists():  # an incomplete or altered copy: set it aside, then remove it
            dest.rename(Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent)) / "old")
        tmp.rename(dest)
        for leftover in dest.parent.glob(f".{dest.name}.tmp-*"):
            shutil.rmtree(leftover, ignore_errors=True)
    return dest


def holds(folder: Path, expected: Expected) -> bool:
    """Whether every file of `expected` is in `folder` as expected, and no folder of `expected` holds
    other images: those would change the data set. Other files, such as a learner's exported model or
    training log, may sit beside them."""
    try:
        for name, want in expected.items():
            path = folder / name
            if want is None:
                ok = path.is_file()
            elif callable(want):
                ok = path.is_file() and want(path)
            else:
                ok = (path.read_text() if isinstance(want, str) else path.read_bytes()) == want
            if not ok:
                return False
        images = {
            str(sub / entry)
            for sub in {Path(name).parent for name in expected}
            for entry in os.listdir(folder / sub)
            if Path(entry).suffix.lower() in IMAGE_SUFFIXES
        }
        return images <= {str(Path(name)) for name in expected}
    except OSError:
        return False


def image_files(path: Path) -> list[Path]:
    """The images under `path`, checked: a missing folder, no images or unreadable files are errors."""
    from fastai.data.transforms import get_image_files

    path = Path(path)
    if not path.is_dir():
        raise DataError(f"image folder {path} does not exist; check the path, or use offline mode")
    files = list(get_image_files(path))
    if not files:
        raise DataError(f"no image files (.jpg, .png, ...) in {path}")
    if error := unreadable_images(files):
        raise error
    return files


def unreadable_images(files: list[Path]) -> DataError | None:
    """The error for the files of `files` that do not open as images (None when all do)."""
    from fastai.vision.utils import verify_images

    return _files_error(
        [Path(f) for f in verify_images(files)], "image file(s)", "cannot be read", "Delete or replace"
    )


def misnamed(files: list[Path], pattern: str) -> DataError | None:
    """The error for files whose names do not give a label by `pattern` (None when all do)."""
    bad = [Path(f) for f in files if not re.match(pattern, Path(f).name)]
    return _files_error(bad, "file name(s)", "are not CLASS_NUMBER.jpg (or .png)", "Rename or remove")


def _files_error(bad: list[Path], what: str, problem: str, fix: str) -> DataError | None:
    if not bad:
        return None
    names = ", ".join(f.name for f in bad[:10]) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
    return DataError(f"{len(bad)} {what} in {bad[0].parent} {problem}: {names}. {fix} them, then run again.")
