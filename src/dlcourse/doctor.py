"""What a lesson prints first: the versions it runs with, the GPU, whether the full data can be downloaded,
the mode it will run in and about how long the lesson took there, and, when something is wrong, the one
thing to do about it.

`checkup` returns the lines (each branch is testable without the machine it describes); `doctor` prints
them. Nothing here raises for a missing GPU or internet: the lesson then runs offline and says why.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from dlcourse.bundled import WEIGHTS_DIR
from dlcourse.mode import REQUESTED_OFFLINE, Mode, gpu_name

# Each lesson's measured run, top to bottom (`python -m dlcourse_tools bench lessons --record FILE`):
# offline mode on a CPU, full mode on a GPU against data of the downloads' sizes.
LESSON_TIMES = {
    "offline": WEIGHTS_DIR / "lesson_times_cpu.json",
    "full": WEIGHTS_DIR / "lesson_times_gpu.json",
}

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


def recorded_time(lesson: str, mode: Mode, records: dict[str, Path] | None = None) -> str:
    """How long lesson `lesson` ("03") took in this mode when it was measured (`LESSON_TIMES`), in words."""
    if mode.name == "full" and not mode.gpu:
        return (
            "no time was measured for full mode without a GPU; a lesson that trains is far slower on a CPU "
            "than on a GPU"
        )
    record = (records or LESSON_TIMES)[mode.name]
    run = json.loads(record.read_text()) if record.exists() else {"lessons": []}
    for row in run["lessons"]:
        if row["lesson"].startswith(f"{lesson}_") and "seconds" in row:
            seconds = row["seconds"]
            took = f"about {seconds:.0f} s" if seconds < 90 else f"about {seconds / 60:.0f} min"
            return f"it took {took} in {mode.name} mode {_on(run['device'])}, measured {run['date']}"
    return f"it has not been timed in {mode.name} mode yet"


def _on(device: str) -> str:
    """Where a recorded run ran, in words: "on a CPU with 2 cores", "on an NVIDIA H200 (...)"."""
    cores = re.fullmatch(r"CPU \((\d+) cores\)", device)
    if cores:
        return f"on a CPU with {cores.group(1)} cores"
    speed = "" if "T4" in device else ", a faster GPU than Colab's free T4,"
    return f"on {'an' if device.startswith('NVIDIA') else 'a'} {device}{speed} without the downloads"


def checkup(
    mode: Mode, machine: Machine, needed: dict[str, SpecifierSet], lesson: str | None = None
) -> list[str]:
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
    if lesson:
        lines.append(f"lesson {lesson}: {recorded_time(lesson, mode)}")
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


def doctor(mode: Mode, lesson: str | None = None) -> None:
    """Print the checkup of this machine for lesson `lesson` ("03", as the quiz names it) in `mode`."""
    print("\n".join(checkup(mode, this_machine(), requirements(), lesson)))
