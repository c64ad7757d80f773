"""Colab's package set, and a twin of it on this machine that the course is installed into as a lesson
installs it.

    python -m dlcourse_tools colab refresh BACKEND_INFO  # a clone of github.com/googlecolab/backend-info
    python -m dlcourse_tools colab closure               # the course's install at Colab's versions (JSON)
    python -m dlcourse_tools colab missing [PACKAGES]    # of those, the pins a machine lacks (pip -r form)
    python -m dlcourse_tools colab build                 # build the twin (under .cache/)
    python -m dlcourse_tools colab twin [--record FILE]  # build the twin, run its tests, record the result
                                                         # (make test-colab; the Performance page shows it)

`refresh` rewrites tests/colab/pip-freeze.gpu.txt from the newest pip-freeze.gpu.txt there, naming the
commit, its date and the Python of os-info-gpu.txt. `closure` asks pip which distributions installing
`dlcourse[app]` into Colab would use, with Colab's versions as constraints (a dry run, against stand-in
torch and torchvision distributions of Colab's versions, so that no GPU wheel is fetched). `missing`
leaves out the packages a machine already has (default: tools/gpu-machine-packages.txt, the lent GPU
machine's own), and torch and its CUDA libraries.

The twin (`build_twin`) is a virtual environment of Colab's Python (3.13) holding, at Colab's versions,
every package of Colab's that installing the course could touch: torch and torchvision with theirs, and
the rest of the course's dependency closure that Colab has. The course is *not* in it: the tests run each
lesson's own first cell there and compare `pip freeze` before and after. Only the standard library is used
here, so any Python runs this module (`PYTHONPATH=tools python3.13 -m dlcourse_tools.colab ...`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the course's checkout
FREEZE = ROOT / "tests" / "colab" / "pip-freeze.gpu.txt"
GPU_MACHINE = ROOT / "tools" / "gpu-machine-packages.txt"
NOTEBOOK_KIT = ("ipykernel", "nbclient", "nbformat")  # Colab runs notebooks with these; so do the lesson runs
GPU_STACK = re.compile(r"^(torch|torchvision|torchaudio|triton|nvidia-.*|cuda-.*)$")
# The versions a record of the twin names, and that the twin must hold at Colab's own versions.
KEY_PACKAGES = ("torch", "torchvision", "fastai", "fastcore", "numpy", "pandas", "pillow", "matplotlib",
                "scikit-learn", "scipy", "ipykernel", "gradio", "pydantic", "rich", "spacy")  # fmt: skip
COLAB_PYTHON = "3.13"  # the Python of Colab's runtime (the freeze's header names the patch release)
INSTALL_URL = re.compile(r"git\+[^@\"']+@v[^\"'\\\s]+")  # the install cells' reference


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str]:
    """name → version of a pip freeze's lines: `name==version` (local tags such as +cu126 dropped) and
    `name @ url` (the url)."""
    found = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#") or not line:
            continue
        if " @ " in line:
            name, url = line.split(" @ ", 1)
            found[canonical(name.strip())] = url.strip()
        elif "==" in line:
            name, version = line.split("==", 1)
            found[canonical(name.strip())] = version.strip().split("+")[0]
    return found


def colab_pins() -> dict[str, str]:
    return pins(FREEZE.read_text())


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
        "# Refreshed by `python -m dlcourse_tools colab refresh`.\n"
    )
    FREEZE.write_text(header + freeze)
    print(f"{FREEZE.relative_to(ROOT)}: {len(pins(freeze))} packages, commit {commit[:12]} of {date}")


def _constraints(folder: Path, leave_out: re.Pattern = re.compile(r"^(torch|torchvision)$")) -> Path:
    """Colab's versions as a pip constraints file, without the packages `leave_out` matches."""
    path = folder / "colab-constraints.txt"
    versions = {n: v for n, v in colab_pins().items() if "://" not in v and not leave_out.match(n)}
    path.write_text("".join(f"{n}=={v}\n" for n, v in versions.items()))
    return path


def _pip(python: Path | str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(python), "-m", "pip", *args, "--disable-pip-version-check"], capture_output=True, text=True
    )
    if check and result.returncode:
        raise RuntimeError(
            f"pip {' '.join(args[:2])} failed:\n{result.stdout[-2000:]}{result.stderr[-4000:]}"
        )
    return result


def closure(python: Path | str = sys.executable) -> list[tuple[str, str]]:
    """(name, version) of every distribution `pip install dlcourse[app]` would use in Colab, with the
    packages that run a notebook, as `python`'s pip resolves it."""
    colab = colab_pins()
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
        report = tmp / "report.json"
        _pip(python, "install", "--dry-run", "--ignore-installed", "--report", str(report),
             "-c", str(_constraints(tmp)), str(tmp / "torch"), str(tmp / "torchvision"),
             f"{ROOT}[app]", *NOTEBOOK_KIT)  # fmt: skip
        installs = json.loads(report.read_text())["install"]
    return sorted(
        (canonical(item["metadata"]["name"]), item["metadata"]["version"])
        for item in installs
        if canonical(item["metadata"]["name"]) not in ("dlcourse", "torch", "torchvision")
    )


def missing(present_file: Path = GPU_MACHINE) -> list[str]:
    present = pins(present_file.read_text())
    return [f"{n}=={v}" for n, v in closure() if n not in present and not GPU_STACK.match(n)]


# --- the twin ------------------------------------------------------------------------------------------


def colab_python() -> Path:
    """This machine's Python of Colab's version: $DLCOURSE_COLAB_PYTHON, the newest pyenv installation of
    it or `python3.13` on the PATH."""
    named = os.environ.get("DLCOURSE_COLAB_PYTHON")
    found = [Path(named)] if named else []
    installed = Path.home().glob(f".pyenv/versions/{COLAB_PYTHON}.*/bin/python{COLAB_PYTHON}")
    found += sorted(installed, key=lambda p: [int(x) for x in re.findall(r"\d+", p.parts[-3])], reverse=True)
    on_path = shutil.which(f"python{COLAB_PYTHON}")
    found += [Path(on_path)] if on_path and "/shims/" not in on_path else []  # pyenv's shim: not chosen
    for python in found:
        if python.exists():
            return python
    raise FileNotFoundError(
        f"the Colab twin needs Python {COLAB_PYTHON}, Colab's: install it (`pyenv install {COLAB_PYTHON}`) "
        "or point DLCOURSE_COLAB_PYTHON at its python"
    )


def twin_folder(cache: Path = ROOT / ".cache") -> Path:
    """Where the twin lives: rebuilt when Colab's freeze, the course's requirements or this file change."""
    import hashlib

    sources = (FREEZE, ROOT / "pyproject.toml", Path(__file__))
    key = hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()[:12]
    return cache / f"colab-twin-{key}"


def venv_python(twin: Path) -> Path:
    return twin / "bin" / "python"


def freeze(twin: Path) -> dict[str, str]:
    """The twin's `pip freeze`, as name → version."""
    return pins(_pip(venv_python(twin), "freeze", "--all").stdout)


def _course_needs(twin: Path, constraints: Path | None, report: Path) -> set[str]:
    """The names of what installing the course (with its app and what runs a notebook) would install into
    the twin, resolved with `constraints` or, without them, as the install cell resolves it."""
    held = ["-c", str(constraints)] if constraints else []
    dry_run = ("install", "--dry-run", "--report", str(report), f"{ROOT}[app]", *NOTEBOOK_KIT, *held)
    if _pip(venv_python(twin), *dry_run, check=False).returncode:
        return set()  # no resolution with Colab's versions: the install cells' test says what conflicts
    return {canonical(item["metadata"]["name"]) for item in json.loads(report.read_text())["install"]}


def build_twin(twin: Path, python: Path | None = None) -> dict:
    """Make the twin at `twin` (kept if it is already complete); returns what its building cost. One build
    at a time: another caller waits for it, then finds the twin complete."""
    import fcntl

    twin.parent.mkdir(parents=True, exist_ok=True)
    with (twin.parent / "colab-twin.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build(twin, python)


def _build(twin: Path, python: Path | None) -> dict:
    ready = twin / "twin.json"
    if ready.exists():
        return json.loads(ready.read_text())
    for old in [twin, *twin.parent.glob("colab-twin-*")]:
        if old.is_dir():
            shutil.rmtree(old)
    python = python or colab_python()
    start = time.perf_counter()
    subprocess.run([str(python), "-m", "venv", str(twin)], check=True)
    colab = colab_pins()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        _pip(venv_python(twin), "install", "-q", f"pip=={colab['pip']}")  # the install cells run Colab's pip
        # Colab's torch and torchvision with their dependencies (their CUDA libraries are torch's own).
        # --no-compile: Python compiles what the lessons import when they import it, not all of torch.
        held = _constraints(tmp, GPU_STACK)
        torch_start = time.perf_counter()
        _pip(venv_python(twin), "install", "-q", "--no-compile", "-c", str(held),
             f"torch=={colab['torch']}", f"torchvision=={colab['torchvision']}")  # fmt: skip
        torch_s = time.perf_counter() - torch_start
        print(f"twin: torch and torchvision in {torch_s:.0f} s", flush=True)
        # Of everything installing the course would use, with Colab's versions held or as pip would choose
        # without them, what Colab has: at Colab's versions.
        wanted = _course_needs(twin, held, tmp / "held.json") | _course_needs(twin, None, tmp / "free.json")
        preinstalled = sorted(
            f"{n}=={colab[n]}"
            for n in wanted
            if n in colab and "://" not in colab[n] and not GPU_STACK.match(n)
        )
        print(f"twin: {len(preinstalled)} more of Colab's packages", flush=True)
        _pip(venv_python(twin), "install", "-q", "--no-compile", "-c", str(held), *preinstalled)
    built = freeze(twin)
    cost = {
        "python": subprocess.run(
            [str(venv_python(twin)), "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip(),  # fmt: skip
        "torch_seconds": round(torch_s, 1),
        "seconds": round(time.perf_counter() - start, 1),
        "megabytes": round(sum(f.stat().st_size for f in twin.rglob("*") if f.is_file()) / 1e6),
        "colab_packages": len([name for name in built if name in colab]),
    }
    (twin / "base-freeze.json").write_text(json.dumps(built, indent=1) + "\n")
    ready.write_text(json.dumps(cost, indent=1) + "\n")  # last: the twin is complete
    return cost


def base(twin: Path) -> dict[str, str]:
    """The twin's packages as built, before the course is installed (Colab's, with what torch brings)."""
    return json.loads((twin / "base-freeze.json").read_text())


def reset(twin: Path) -> None:
    """Back to the twin as built: what an install added is removed, what it changed is put back."""
    now, before = freeze(twin), base(twin)
    added = [name for name in now if name not in before]
    if added:
        _pip(venv_python(twin), "uninstall", "-y", "-q", *added)
    restore = [f"{n}=={v}" for n, v in before.items() if now.get(n) != v and "://" not in v]
    if restore:
        _pip(venv_python(twin), "install", "-q", "--no-deps", *restore)


def clean_checkout(dest: Path) -> Path:
    """The checkout's files as a fresh clone with the changes not yet committed would have them (tracked and
    untracked files, nothing git ignores: no `build/` or caches), copied into `dest`."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def local_cell(source: str, checkout: Path = ROOT) -> str:
    """A lesson's install cell, installing from `checkout` instead of the git tag it names."""
    local, count = INSTALL_URL.subn(checkout.as_uri(), source)
    if not count:
        raise ValueError("this cell names no git+…@v… reference to install from")
    return local


def colab_changes(before: dict[str, str], after: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Colab's packages an install changed: name → (the twin's version, the version after it, or "removed").
    Only names in Colab's list count, and of the GPU stack only torch and torchvision: the twin's CUDA
    libraries are those of PyPI's torch, not Colab's."""
    colab = colab_pins()
    counted = {n for n in colab if not GPU_STACK.match(n)} | {"torch", "torchvision"}
    return {
        name: (version, after.get(name, "removed"))
        for name, version in before.items()
        if name in counted and after.get(name) != version
    }


def lacking(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Packages of Colab's that an install added: the twin should have held them (on Colab they are there,
    at Colab's version, and pip might have kept them)."""
    colab = colab_pins()
    return [
        f"{n} (Colab: {colab[n]}, added: {v})" for n, v in after.items() if n not in before and n in colab
    ]


def why(twin: Path, names: list[str], before: dict[str, str], after: dict[str, str]) -> str:
    """The requirements on `names` (packages an install changed) of every package the install added or
    changed (`after` against `before`), read from the twin's installed metadata: what forced the change."""
    causes = sorted(name for name, version in after.items() if before.get(name) != version)
    script = (
        "import importlib.metadata as md, json, re, sys\n"
        "names, causes = json.loads(sys.argv[1]), json.loads(sys.argv[2])\n"
        "canonical = lambda text: re.sub(r'[-_.]+', '-', text).lower()\n"
        "for d in md.distributions():\n"
        "    if canonical(d.metadata['Name']) in causes:\n"
        "        for r in d.requires or []:\n"
        "            if canonical(re.match(r'[A-Za-z0-9._-]+', r).group(0)) in names:\n"
        "                print(f\"{d.metadata['Name']} {d.version} requires {r}\")\n"
    )
    result = subprocess.run(
        [str(venv_python(twin)), "-c", script, json.dumps(names), json.dumps(causes)],
        capture_output=True,
        text=True,
    )
    return (
        result.stdout.strip() or f"none of the packages it added or changed ({', '.join(causes)}) names them"
    )


def twin_run(record: Path | None) -> dict:
    """Build the twin, run its tests (tests/test_colab_twin.py) and return, or write to `record`, what
    happened: the date, Colab's list and versions, what installing cost, and which tests failed. Exits
    with an error when a test failed."""
    import platform
    import xml.etree.ElementTree as ET
    from datetime import UTC, datetime

    twin = twin_folder()
    cost = build_twin(twin)
    cells = twin / "install-cells.json"  # written by the tests
    cells.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        tests = str(ROOT / "tests" / "test_colab_twin.py")
        pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
        ran = subprocess.run([*pytest, tests], cwd=ROOT)
        cases = list(ET.parse(junit).getroot().iter("testcase")) if junit.exists() else []
    failed = {
        case.get("name"): ((problem.get("message") or "").splitlines() or [""])[0][:300]
        for case in cases
        for problem in [case.find("failure"), case.find("error")]
        if problem is not None
    }
    if not cases:
        failed = {
            "tests/test_colab_twin.py": f"pytest stopped before any test ran (exit code {ran.returncode})"
        }
    versions = base(twin)
    freeze_date = re.search(r"\d{4}-\d{2}-\d{2}", FREEZE.read_text().splitlines()[1])
    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "colab_list": freeze_date.group(0) if freeze_date else "undated",
        "versions": {name: versions.get(name) for name in KEY_PACKAGES},
        "build": cost,
        "install_cells": json.loads(cells.read_text()) if cells.exists() else [],
        "tests": len(cases),
        "failed": failed,
    }
    print(json.dumps(result, indent=1))
    if record:
        record.write_text(json.dumps(result, indent=1) + "\n")
    if failed or ran.returncode:
        sys.exit(
            f"the Colab twin's tests failed: {', '.join(failed) or f'pytest exit code {ran.returncode}'}"
        )
    return result


def main(argv: list[str]) -> None:
    match argv:
        case ["refresh", backend_info]:
            refresh(Path(backend_info))
        case ["closure"]:
            print(json.dumps(closure(), indent=1))
        case ["missing", *present]:
            print("\n".join(missing(Path(present[0]) if present else GPU_MACHINE)))
        case ["build"]:
            print(json.dumps(build_twin(twin_folder()), indent=1))
        case ["twin"]:
            twin_run(None)
        case ["twin", "--record", path]:
            twin_run(Path(path))
        case _:
            sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
