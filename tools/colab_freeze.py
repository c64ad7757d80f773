"""Colab's package set, as the course's tests and GPU runs use it.

    python tools/colab_freeze.py refresh BACKEND_INFO   # a clone of github.com/googlecolab/backend-info
    python tools/colab_freeze.py closure                # the course's install at Colab's versions (JSON)
    python tools/colab_freeze.py missing [PACKAGES]     # of those, the pins a machine lacks (pip -r form)

`refresh` rewrites tests/colab/pip-freeze.gpu.txt from the newest pip-freeze.gpu.txt there, naming the
commit, its date and the Python of os-info-gpu.txt. `closure` asks pip which distributions installing
`dlcourse[app]` into Colab would use, with Colab's versions as constraints (a dry run, against stand-in
torch and torchvision distributions of Colab's versions, so that no GPU wheel is fetched). `missing`
leaves out the packages a machine already has (default: tools/gpu-machine-packages.txt, the lent GPU
machine's own), and torch and its CUDA libraries.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FREEZE = ROOT / "tests" / "colab" / "pip-freeze.gpu.txt"
GPU_MACHINE = ROOT / "tools" / "gpu-machine-packages.txt"
NOTEBOOK_KIT = ("ipykernel", "nbclient", "nbformat")  # Colab runs notebooks with these; so do the lesson runs
GPU_STACK = re.compile(r"^(torch|torchvision|torchaudio|triton|nvidia-.*|cuda-.*)$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str]:
    """name → version of the `name==version` lines of a pip freeze (local tags such as +cu126 dropped)."""
    found = {}
    for line in text.splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, version = line.split("==", 1)
            found[canonical(name.strip())] = version.strip().split("+")[0]
    return found


def refresh(backend_info: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(backend_info), *args], capture_output=True, text=True).stdout

    freeze, os_info = git("show", "HEAD:pip-freeze.gpu.txt"), git("show", "HEAD:os-info-gpu.txt")
    if not pins(freeze):
        sys.exit(
            f"no pip-freeze.gpu.txt in {backend_info}: give a clone (or mirror) of googlecolab/backend-info"
        )
    python = re.search(r"Python (\d+\.\d+\.\d+)", os_info)
    commit, date, subject = (
        git("log", "-1", "--format=%H|%cs|%s", "--", "pip-freeze.gpu.txt").strip() or "?|?|?"
    ).split("|", 2)
    version = python.group(1) if python else "unknown"
    header = (
        "# Colab's GPU runtime, as published in github.com/googlecolab/backend-info\n"
        f'# (pip-freeze.gpu.txt at commit {commit}, {date}, "{subject}"; Python {version}).\n'
        "# Refreshed by tools/colab_freeze.py.\n"
    )
    FREEZE.write_text(header + freeze)
    print(f"{FREEZE.relative_to(ROOT)}: {len(pins(freeze))} packages, commit {commit[:12]} of {date}")


def closure() -> list[tuple[str, str]]:
    """(name, version) of every distribution `pip install dlcourse[app]` would use in Colab, with the
    packages that run a notebook."""
    colab = pins(FREEZE.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name in ("torch", "torchvision"):  # stand-ins: metadata only, at Colab's versions
            src = tmp / name
            src.mkdir()
            (src / "pyproject.toml").write_text(
                f'[project]\nname = "{name}"\nversion = "{colab[name]}"\n'
                '[build-system]\nrequires = ["setuptools"]\n'
                'build-backend = "setuptools.build_meta"\n[tool.setuptools]\npackages = []\n'
            )
        constraints = tmp / "colab.txt"
        constraints.write_text(
            "".join(f"{n}=={v}\n" for n, v in colab.items() if n not in ("torch", "torchvision"))
        )
        report = tmp / "report.json"
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--report",
             str(report), "-c", str(constraints), str(tmp / "torch"), str(tmp / "torchvision"),
             f"{ROOT}[app]", *NOTEBOOK_KIT],
            check=True, capture_output=True,
        )  # fmt: skip
        installs = json.loads(report.read_text())["install"]
    return sorted(
        (canonical(item["metadata"]["name"]), item["metadata"]["version"])
        for item in installs
        if canonical(item["metadata"]["name"]) not in ("dlcourse", "torch", "torchvision")
    )


def missing(present_file: Path = GPU_MACHINE) -> list[str]:
    present = pins(present_file.read_text())
    return [f"{n}=={v}" for n, v in closure() if n not in present and not GPU_STACK.match(n)]


def main(argv: list[str]) -> None:
    match argv:
        case ["refresh", backend_info]:
            refresh(Path(backend_info))
        case ["closure"]:
            print(json.dumps(closure(), indent=1))
        case ["missing", *present]:
            print("\n".join(missing(Path(present[0]) if present else GPU_MACHINE)))
        case _:
            sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
