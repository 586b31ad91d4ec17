"""The search package's seams: no import circles and no borrowed private names (docs/search.md, "How the code is
arranged"). Checked on the source text, so a regression fails here rather than in a review."""

from __future__ import annotations

import ast
from pathlib import Path

import openpapers

SRC = Path(openpapers.__file__).resolve().parent.parent
PACKAGE = "openpapers.search"


def _modules() -> dict[str, Path]:
    out = {}
    for path in (SRC / "openpapers").rglob("*.py"):
        name = ".".join(path.with_suffix("").relative_to(SRC).parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every ``from module import name`` in the file, at any depth (function-level too)."""
    return [(node.module, alias.name) for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.ImportFrom) and node.module for alias in node.names]


def test_no_module_imports_a_private_name_of_the_search_package() -> None:
    borrowed = [(name, module, imported) for name, path in _modules().items()
                for module, imported in _imports(path)
                if imported.startswith("_") and (module.startswith(PACKAGE) or
                                                 (name.startswith(PACKAGE) and module.startswith("openpapers")))]
    assert borrowed == []


def test_no_import_circles_in_the_search_package() -> None:
    modules = _modules()
    search = {name for name in modules if name.startswith(PACKAGE)}
    graph = {name: {f"{m}.{n}" if f"{m}.{n}" in modules else m for m, n in _imports(modules[name])} & search
             for name in search}

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), list(graph[start])
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(graph[node])
        return False

    assert sorted(name for name in search if reaches(name, name)) == []
