"""The import graph of the ``publisher`` package has no cycle.

Every import statement counts, also one inside a function (a function-local import only
hides a cycle until that function runs), except those under ``if TYPE_CHECKING:``. Importing
``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` as well, so those are edges too (except
for the importer's own packages, which are already running when one of their modules is
imported).
"""

from __future__ import annotations

import ast
from pathlib import Path

import publisher

PACKAGE = Path(publisher.__file__).resolve().parent


def _module_names() -> dict[str, Path]:
    names: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []

    def walk(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    walk(other)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append(child)
            walk(child)

    walk(tree)
    return found


def _with_parents(name: str, importer: str, known: dict[str, Path]) -> set[str]:
    """``name`` and the packages that importing it runs, less the importer's own packages
    (which are already running when a module of theirs is imported)."""
    parts = name.split(".")
    parents = {".".join(parts[:i]) for i in range(1, len(parts))}
    return ({name} | (parents - _ancestors(importer))) & known.keys()


def _ancestors(module: str) -> set[str]:
    return {module.rsplit(".", i)[0] for i in range(1, module.count(".") + 1)}


def import_graph() -> dict[str, set[str]]:
    """Module → the ``publisher`` modules that importing it runs directly."""
    known = _module_names()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    targets |= _with_parents(alias.name, name, known)
                continue
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            modules = {f"{source}.{alias.name}" for alias in node.names} & known.keys()
            targets |= modules
            if len(modules) == len(node.names):  # only modules: `source` itself just runs
                targets |= _with_parents(source, name, known) - {source} | (
                    {source} - _ancestors(name)
                )
            else:  # names read from `source`: it must have run to the end
                targets |= _with_parents(source, name, known) | ({source} & known.keys())
        graph[name] = targets - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (its modules in import order, the first repeated at the end),
    or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_checker_finds_a_cycle_and_accepts_a_tree() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_sees_function_local_and_relative_imports(tmp_path: Path) -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import hidden\n"
        "def f():\n    from publisher.site import Site\n"
        "from . import errors\n"
    )
    names = [n.module if isinstance(n, ast.ImportFrom) else n.names[0].name for n in _imports(tree)]
    assert names == ["typing", "publisher.site", None]
    graph = import_graph()
    assert "publisher.pages" in graph["publisher.site"]
    assert "publisher.errors" in graph["publisher.config"]


def test_publisher_has_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])
