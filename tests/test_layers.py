"""The package's import graph: layers import only downward, no import cycle, no private name imported
from another module (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "routing"
# bottom to top; a module may import from its own layer and those before it
LAYERS = (
    ("routing.errors", "routing.settings", "routing.progress", "routing.arrays", "routing.version", "routing.logs",
     "routing.validate"),
    ("routing.data",),
    ("routing.candidates",),
    ("routing.model",),
    ("routing.backends",),
    ("routing.strategies",),
    ("routing.report",),
    ("routing.solve", "routing.scenario", "routing.compare"),
    ("routing.sweep", "routing.history"),  # history: recording and reading runs (routing.cli --history, runs)
    ("routing.cli",),
    ("routing",),  # the package's __init__: the public API
)


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, str | None]]:
    """(module imported, name imported from it or None) for every import in the module, nested ones too."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(a.name, None) for a in node.names if a.name.split(".")[0] == "routing"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").split(".")[0] == "routing":
                target = node.module
            else:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.append((sub, None) if sub in MODULES else (target, alias.name))
    return out


def _layer(module: str) -> int:
    for rank, layer in enumerate(LAYERS):
        if any(module == top or module.startswith(top + ".") for top in layer if top != "routing"):
            return rank
    assert module == "routing", f"{module} belongs to no layer"
    return len(LAYERS) - 1


EDGES = {m: sorted({t for t, _ in _imports(m, p) if t in MODULES and t != m}) for m, p in MODULES.items()}


def test_every_module_has_a_layer_and_imports_only_downward():
    upward = [(m, t) for m, targets in EDGES.items() for t in targets
              if _layer(t) > _layer(m) and not m.startswith(t + ".")]
    assert not upward, upward


def test_the_plan_checker_shares_no_code_with_the_solver():
    """routing.validate (``routing validate`` and the tests' validator) re-derives every rule on its own."""
    assert EDGES["routing.validate"] == []
    assert not [t for t, _ in _imports("routing.validate", MODULES["routing.validate"])]


def test_no_import_cycle():
    # a package's __init__ importing its own modules is not a cycle of theirs
    edges = {m: [t for t in ts if not t.startswith(m + ".") and not m.startswith(t + ".")] for m, ts in EDGES.items()}
    done: set[str] = set()

    def visit(m: str, path: tuple[str, ...]) -> None:
        if m in path:
            pytest.fail("import cycle: " + " -> ".join(path[path.index(m):] + (m,)))
        if m in done:
            return
        for t in edges[m]:
            visit(t, path + (m,))
        done.add(m)

    for m in sorted(edges):
        visit(m, ())


def test_no_private_name_is_imported_from_another_module():
    private = [(m, t, n) for m, p in MODULES.items() for t, n in _imports(m, p)
               if n and n.startswith("_") and not n.startswith("__") and t != m]
    assert not private, private


def test_solver_libraries_are_called_only_from_the_backends():
    """OR-Tools, highspy and scipy's linprog are imported in routing.backends and nowhere else."""
    outside = []
    for m, p in MODULES.items():
        if m.startswith("routing.backends"):
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            outside += [(m, n) for n in names if n.split(".")[0] in ("ortools", "highspy") or n == "scipy.optimize"]
    assert not outside, outside
