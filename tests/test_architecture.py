"""How the code is divided: the learners' library (`src/dlcourse`) imports nothing of the course's tools
(`tools/dlcourse_tools`), its modules import one another without a cycle, and no code changes another
module's globals or the process environment except inside a context manager that restores them."""

import ast
from pathlib import Path

import pytest

from support import ROOT

LIBRARY = ROOT / "src" / "dlcourse"
TOOLS = ROOT / "tools" / "dlcourse_tools"
TOOLING_ONLY = ("dlcourse_tools", "mkdocs", "material", "nbclient", "nbformat", "nbconvert")


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def imports(path: Path, root: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function, relative imports resolved."""
    here = module_name(path, root).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}  # `from pkg import module`
    return found


def library_graph() -> dict[str, set[str]]:
    modules = {module_name(p, LIBRARY): p for p in python_files(LIBRARY)}
    return {
        name: {m for m in imports(path, LIBRARY) if m in modules} - {name} for name, path in modules.items()
    }


def test_the_library_imports_none_of_the_tools():
    offenders = {
        module_name(path, LIBRARY): sorted(
            m for m in imports(path, LIBRARY) if m.split(".")[0] in TOOLING_ONLY
        )
        for path in python_files(LIBRARY)
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_the_library_has_no_import_cycle():
    edges = library_graph()
    done, path, cycles = set(), [], []

    def visit(module):
        if module in path:
            cycles.append(path[path.index(module) :] + [module])
            return
        if module in done:
            return
        path.append(module)
        for target in sorted(edges[module]):
            visit(target)
        path.pop()
        done.add(module)

    for module in sorted(edges):
        visit(module)
    assert not cycles, cycles


def restoring_blocks(tree: ast.AST) -> set[int]:
    """Line numbers of generator functions with a `try: ... finally:` (context managers that restore
    what they changed)."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(isinstance(n, ast.Yield) for n in ast.walk(node)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Try) and inner.finalbody:
                    lines |= set(range(node.lineno, node.end_lineno + 1))
    return lines


def outside_changes(path: Path, root: Path = ROOT) -> list[str]:
    """Assignments to another module's attribute (`module.NAME = ...`, `setattr(module, ...)`) and changes
    to `os.environ`, each as 'file:line: code', except inside a restoring context manager."""
    tree = ast.parse(path.read_text())
    modules = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names} | {
        a.asname or a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom)
        for a in n.names
        if a.name.islower()  # `from pkg import module`; `from pkg import Name` binds no module
    }
    allowed = restoring_blocks(tree)
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            if func == "setattr" and node.args:
                targets = [ast.Attribute(value=node.args[0], attr="?")]
            elif func.startswith("os.environ.") and func.rsplit(".", 1)[1] in CHANGES_ENVIRON:
                targets = [node.func.value]
        for target in targets:
            if isinstance(target, ast.Subscript):
                target = target.value
            text = ast.unparse(target)
            module_attribute = isinstance(target, ast.Attribute) and ast.unparse(target.value) in modules
            if (module_attribute or text == "os.environ") and node.lineno not in allowed:
                found.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)[:100]}")
    return found


CHANGES_ENVIRON = ("update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__")


@pytest.mark.parametrize("root", [LIBRARY, TOOLS], ids=["library", "tools"])
def test_nothing_rebinds_another_modules_globals_or_the_environment(root):
    assert not [change for path in python_files(root) for change in outside_changes(path)]


def test_the_scan_finds_what_it_forbids(tmp_path):
    """The scan itself: each forbidden change is found, and a restoring context manager is not."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import os\nimport dlcourse.data\nfrom dlcourse import text\n"
        "dlcourse.data.FULL = None\ntext.FULL = None\nos.environ['X'] = '1'\nos.environ.update(X='1')\n"
        "setattr(text, 'FULL', None)\nlocal = {}\nlocal['x'] = 1\n"
    )
    assert [line.split(":")[1] for line in outside_changes(bad, tmp_path)] == ["4", "5", "6", "7", "8"]
    good = tmp_path / "good.py"
    good.write_text(
        "import os\nfrom contextlib import contextmanager\n\n@contextmanager\ndef env(values):\n"
        "    saved = dict(os.environ)\n    os.environ.update(values)\n    try:\n        yield\n"
        "    finally:\n        os.environ.clear()\n        os.environ.update(saved)\n"
    )
    assert outside_changes(good, tmp_path) == []
