"""Files shipped inside the package (the offline model, its record, the lesson images): their one error."""

from __future__ import annotations

from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


class BundledFileError(RuntimeError):
    """A bundled file that is missing or damaged, with how to restore it."""


def damaged(path: Path, reason: object, rebuild: str = "offline-model") -> BundledFileError:
    """The error for `path`: reinstall (or restore in a clone of the course), or rebuild it there with
    `python -m dlcourse_tools record REBUILD`."""
    return BundledFileError(
        f"{path} is missing or damaged ({reason}). Restore it with "
        "`pip install --force-reinstall --no-deps dlcourse` (in a clone of the course: "
        f"`git checkout -- src/dlcourse/weights`), or rebuild it there with "
        f"`python -m dlcourse_tools record {rebuild}`."
    )


def load_weights(path: Path, rebuild: str = "offline-model") -> dict:
    """A shipped state dict read as tensors only (`weights_only=True`: no code runs), in float32 (some
    ship in float16); a missing or damaged file is a `BundledFileError` that says how to restore it."""
    import pickle

    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, EOFError, RuntimeError, ValueError, pickle.UnpicklingError) as err:
        raise damaged(path, str(err).splitlines()[0], rebuild) from err
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
