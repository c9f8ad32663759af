"""The house runs one way (README "Code map", DESIGN.md "Apps and what each owns"): every import
between Relief's own modules, read from the source, forms no circle, at no level of the folder
tree, and runs down the layers config → audit → payments → cases → relief; nothing imports
audit. `make lint` checks the layers with import-linter as well (pyproject.toml).

A circle at a folder level is one that only shows once a folder is taken as one room: a view
importing a module that imports another view of the same folder is no file circle, but it ties
`views/` and that module in both directions. With no circle at any level, every folder can be
drawn above everything it imports: no import runs back up."""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["config", "audit", "payments", "cases", "relief"]  # top to bottom


def module_files(root: Path) -> dict[str, Path]:
    """Dotted module name → file, for the packages of LAYERS (migrations left out)."""
    files = {}
    for package in LAYERS:
        for path in (root / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            files[".".join(parts)] = path
    return files


def _target(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module → the project modules it imports (anywhere in the file, functions included)."""
    files = module_files(root)

    def known(name: str) -> str | None:
        parts = name.split(".")
        while parts and ".".join(parts) not in files:
            parts.pop()
        return ".".join(parts) or None

    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in files.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                source = _target(module, path, node)
                names = [f"{source}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                target = known(name)
                if target and target != module:
                    graph[module].add(target)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    nodes = set(graph) | {t for targets in graph.values() for t in targets}
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def folder_graphs(graph: dict[str, set[str]]) -> dict[str, dict[str, set[str]]]:
    """For each folder (package), the graph of its direct children (a file, or a sub-folder
    taken as one room) drawn from the imports between the modules below them."""
    packages = (
        {""}
        | {m.rsplit(".", 1)[0] for m in graph if "." in m}
        | {m.rsplit(".", 1)[0] for targets in graph.values() for m in targets if "." in m}
    )
    levels: dict[str, dict[str, set[str]]] = {}
    for package in packages:
        prefix = package.split(".") if package else []
        rooms: dict[str, set[str]] = defaultdict(set)
        for source, targets in graph.items():
            here = _child(source, prefix)
            for target in targets:
                there = _child(target, prefix)
                if here and there and here != there:
                    rooms[here].add(there)
        levels[package or "<root>"] = rooms
    return levels


def _child(module: str, prefix: list[str]) -> str | None:
    """The child of the folder `prefix` that `module` lies in, or None outside it."""
    parts = module.split(".")
    if parts[: len(prefix)] != prefix or len(parts) == len(prefix):
        return None
    return parts[len(prefix)]


def violations(graph: dict[str, set[str]]) -> list[str]:
    problems = []
    for component in circles(graph):
        problems.append(f"import circle between files: {' ↔ '.join(component)}")
    for folder, rooms in sorted(folder_graphs(graph).items()):
        for component in circles(rooms):
            problems.append(f"import circle in {folder}/ between {' ↔ '.join(component)}")
    for source, targets in sorted(graph.items()):
        for target in sorted(targets):
            upper, lower = source.split(".")[0], target.split(".")[0]
            if LAYERS.index(lower) < LAYERS.index(upper):
                problems.append(f"{source} imports {target}: an arrow back up the layers")
            if lower == "audit" and upper not in ("audit", "config"):
                problems.append(f"{source} imports {target}: nothing but the wiring imports audit")
    return problems


def test_relief_imports_run_one_way_with_no_circle():
    assert violations(import_graph(ROOT)) == []


def test_the_graph_is_read_from_every_package():
    graph = import_graph(ROOT)
    sources = {module.split(".")[0] for module in graph}
    assert {"config", "relief", "cases", "payments"} <= sources
    assert "relief.dates" in graph["payments.ledger"]


def _house(tmp_path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for package in LAYERS:
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / "__init__.py").touch()
    return tmp_path


@pytest.mark.parametrize(
    "files, expected",
    [
        (
            {"cases/a.py": "from . import b\n", "cases/b.py": "from .a import x\n"},
            "import circle between files: cases.a ↔ cases.b",
        ),
        (
            # No file circle: views.x → helpers → views.y; but views/ ↔ helpers.py.
            {
                "cases/views/__init__.py": "",
                "cases/views/x.py": "from .. import helpers\n",
                "cases/views/y.py": "",
                "cases/helpers.py": "def f():\n    from .views import y\n",
            },
            "import circle in cases/ between helpers ↔ views",
        ),
        (
            {"relief/money.py": "from cases.models import Town\n", "cases/models.py": ""},
            "relief.money imports cases.models: an arrow back up the layers",
        ),
        (
            {"payments/runs.py": "import audit.matching\n", "audit/matching.py": ""},
            "payments.runs imports audit.matching: nothing but the wiring imports audit",
        ),
    ],
)
def test_a_circle_or_an_upward_import_is_caught(tmp_path, files, expected):
    assert expected in violations(import_graph(_house(tmp_path, files)))


# A file becomes a package when it grows past a few hundred lines (STYLE.md); the payment run is
# the one pipeline kept whole beyond that.
MAX_LINES = 600
LONGER_ON_PURPOSE = {"payments/runs.py"}


def test_no_module_of_the_apps_is_over_600_lines():
    long = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in module_files(ROOT).values()
    }
    assert {
        name: lines
        for name, lines in long.items()
        if lines > MAX_LINES and name not in LONGER_ON_PURPOSE
    } == {}
