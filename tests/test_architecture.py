"""The shape of the code, checked: the rules of the layout in README.md that a reviewer would otherwise police.

Why as tests: each rule was broken before by a change that was small on its own (a private helper imported "just
this once", a deferred import that closed a circle, a module that kept growing). Every import counts, including
imports inside functions (a deferred import still ties the two modules together); only ``if TYPE_CHECKING:``
imports are left out, because they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "openpapers"
MAX_LINES = 420  # "about 400": a module past this is asking to be split (by meaning)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run (skipping ``if TYPE_CHECKING:`` blocks)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _resolve(modules: dict[str, Path], current: str, node: ast.ImportFrom) -> str | None:
    if node.level:
        base = current.split(".")
        if modules[current].name != "__init__.py":
            base = base[:-1]
        base = base[: len(base) - node.level + 1]
        return ".".join([*base, node.module] if node.module else base)
    return node.module


def _edges() -> tuple[dict[str, set[str]], list[str]]:
    """The import graph between openpapers modules, and every import of another module's private name."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    private: list[str] = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in _imports(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _resolve(modules, name, node) or ""
                targets = []
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    if sub in modules:
                        targets.append(sub)
                    else:
                        targets.append(base)
                        if alias.name.startswith("_") and not alias.name.startswith("__") and base != name:
                            private.append(f"{name}:{node.lineno} imports {base}.{alias.name}")
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph, private


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_circles() -> None:
    graph, _ = _edges()
    # A package's __init__ importing its own submodules is not a circle of meaning; every other cycle is.
    assert _cycles(graph) == []


def test_no_module_imports_another_modules_private_name() -> None:
    _, private = _edges()
    assert private == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_is_small(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(SRC)} has {lines} lines: split it by meaning"


def test_the_checker_sees_a_circle_and_a_private_import() -> None:
    """The rules above would pass vacuously if the graph were empty; make sure the checker finds real edges."""
    graph, _ = _edges()
    assert "openpapers.core.records" in graph["openpapers.papers.merge"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_tests_share_helpers_only_through_the_helpers_package() -> None:
    """A test module importing another test module (or editing sys.path to reach one) hides shared code where
    nobody looks for it; shared pieces live in tests/helpers."""
    tests = Path(__file__).resolve().parent
    offenders = []
    for path in tests.rglob("*.py"):
        if "bench" in path.relative_to(tests).parts[:1]:
            continue  # tests/bench import the bench scripts they test, by path
        for node in _imports(ast.parse(path.read_text(), filename=str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            offenders += [f"{path.relative_to(tests)}:{node.lineno} imports {n}" for n in names
                          if n.split(".")[0].startswith(("test_", "conftest"))]
        if "sys.path.insert" in path.read_text() and path.name != "test_architecture.py":
            offenders.append(f"{path.relative_to(tests)} edits sys.path")
    assert offenders == []
