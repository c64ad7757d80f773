"""What a lesson prints first: the versions it runs with, the GPU, whether the full data can be downloaded,
the mode it will run in, and, when something is wrong, the one thing to do about it.

`checkup` returns the lines (each branch is testable without the machine it describes); `doctor` prints
them. Nothing here raises for a missing GPU or internet: the lesson then runs offline and says why.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from dlcourse.mode import REQUESTED_OFFLINE, Mode, gpu_name

# Where to switch on a GPU, on the services whose "Open in ..." links the lesson pages give.
GPU_MENU = {
    "Colab": "in Colab choose Runtime > Change runtime type > T4 GPU, then run the notebook again",
    "Kaggle": (
        "in Kaggle open the notebook's session options, choose a GPU as the accelerator and switch the "
        "internet on, then run the notebook again"
    ),
}


@dataclass(frozen=True)
class Machine:
    """What the checkup looks at: where the notebook runs and the versions installed there."""

    place: str  # "Colab", "Kaggle" or "this machine"
    versions: dict[str, str]  # python, torch, fastai, dlcourse


def this_machine() -> Machine:
    if "google.colab" in sys.modules:
        place = "Colab"
    elif os.environ.get("KAGGLE_KERNEL_RUN_TYPE"):
        place = "Kaggle"
    else:
        place = "this machine"
    versions = {"python": platform.python_version()}
    for name in ("torch", "fastai", "dlcourse"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return Machine(place, versions)


def requirements() -> dict[str, SpecifierSet]:
    """The versions the course needs, as its package declares them: Python's and fastai's."""
    metadata = importlib.metadata.metadata("dlcourse")
    needed = {"python": SpecifierSet(metadata["Requires-Python"] or "")}
    for line in importlib.metadata.requires("dlcourse") or []:
        requirement = Requirement(line)
        if requirement.name == "fastai" and not requirement.marker:
            needed["fastai"] = requirement.specifier
    return needed


def checkup(mode: Mode, machine: Machine, needed: dict[str, SpecifierSet]) -> list[str]:
    """The lines `doctor` prints, fixes last."""
    v = machine.versions
    lines = [f"dlcourse {v['dlcourse']} · Python {v['python']} · torch {v['torch']} · fastai {v['fastai']}"]
    lines.append(f"GPU: {gpu_name() if mode.gpu else 'none'}")
    if mode.internet:
        lines.append("full data sets and pretrained weights: their server can be reached")
    elif mode.reason == REQUESTED_OFFLINE:
        lines.append("full data sets and pretrained weights: not checked, offline mode was asked for")
    else:
        lines.append("full data sets and pretrained weights: their server cannot be reached from here")
    lines.append(f"this lesson runs in {mode.describe()}")
    if mode.offline:
        lines.append(
            "Offline mode: small data sets and models that come with the course stand in for the full "
            "ones; the lesson says which."
        )
    fixes = []
    for name, specifier in needed.items():
        version = v.get(name, "not installed")
        if version != "not installed" and version in specifier:
            continue
        if name == "python":
            fixes.append(f"To fix: this course needs Python {specifier}; this is Python {version}.")
        else:
            fixes.append(
                f"To fix: this course needs {name} {specifier}, here it is {version}: run "
                f"pip install '{name}{specifier}', then restart the runtime."
            )
    if not mode.gpu and machine.place in GPU_MENU:
        fixes.append(f"To train on a GPU: {GPU_MENU[machine.place]}.")
    elif machine.place == "Kaggle" and not mode.internet:
        fixes.append("To download the full data: switch the internet on in the notebook's session options.")
    return lines + fixes


def doctor(mode: Mode) -> None:
    """Print the checkup of this machine for a lesson that runs in `mode`."""
    print("\n".join(checkup(mode, this_machine(), requirements())))
