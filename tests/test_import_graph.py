"""The first-party import graph has no cycles.

Every `.py` file of `notices_app`, `ads` and `print` is parsed with `ast`; every import counts,
the module-level ones and those inside function bodies alike (an import moved into a function
to dodge a circle is still the same circle, only found later, at call time). Imports under
`if TYPE_CHECKING:` are left out: they never run, and exist so annotations can name a type
without importing its module.

`from package import name` is an edge to `package.name` when that is a module, else to
`package`. Importing `a.b.c` also runs `a/__init__.py` and `a/b/__init__.py`; those implicit
parent edges are not counted, or every package whose `__init__` re-exports its submodules would
be a circle with each of them.
"""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("notices_app", "ads", "print")
# Alembic's revision scripts are loaded by Alembic from their folder, never imported.
SKIP = ("notices_app/migrations/versions",)

# Circles still to break, each the full set of modules of one strongly connected component.
# The test fails on any circle not listed here and on a listed one that has changed or gone, so
# this list only ever shrinks: delete an entry when its circle is broken.
KNOWN_CYCLES: list[frozenset[str]] = []


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    in_function: bool


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if not rel.startswith(SKIP):
                found[_module_name(path)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement with whether it sits inside a function, skipping TYPE_CHECKING."""
    found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for other in child.orelse:
                    visit_one(other, in_function)
                continue
            visit_one(child, in_function)

    def visit_one(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append((node, in_function))
        visit(node, in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))

    visit(tree, False)
    return found


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    # A package's own `from . import x` is relative to the package itself.
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def import_graph() -> list[Edge]:
    modules = _modules()
    edges: list[Edge] = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, in_function in _imports(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                origin = _resolve(name, path.name == "__init__.py", node)
                for alias in node.names:
                    submodule = f"{origin}.{alias.name}"
                    targets.append(submodule if submodule in modules else origin)
            for target in targets:
                if target in modules and target != name:
                    edges.append(Edge(name, target, node.lineno, in_function))
    return edges


def strongly_connected(edges: list[Edge]) -> list[frozenset[str]]:
    """The components of more than one module (Tarjan's algorithm, iterative)."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
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
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def _a_cycle(component: frozenset[str], edges: list[Edge]) -> list[Edge]:
    """One shortest circle through the component's first module, to show in a failure."""
    inside = [e for e in edges if e.source in component and e.target in component]
    start = min(component)
    came: dict[str, Edge] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for edge in inside:
            if edge.source != node:
                continue
            if edge.target == start:
                path = [edge]
                while path[0].source != start:
                    path.insert(0, came[path[0].source])
                return path
            if edge.target not in came:
                came[edge.target] = edge
                queue.append(edge.target)
    return []


def describe(component: frozenset[str], edges: list[Edge]) -> str:
    steps = [
        f"    {e.source} -> {e.target} (line {e.line}{', inside a function' if e.in_function else ''})"
        for e in _a_cycle(component, edges)
    ]
    return f"  {len(component)} modules: {', '.join(sorted(component))}\n" + "\n".join(steps)


def test_the_graph_sees_module_and_function_imports() -> None:
    edges = {(e.source, e.target, e.in_function) for e in import_graph()}
    assert ("notices_app.web.security", "notices_app.extensions", False) in edges
    # A relative import and a function-level import are found and resolved too.
    assert any(source.startswith("print.") and target.startswith("print.") for source, target, _ in edges)
    assert any(in_function for _, _, in_function in edges)


def test_no_import_cycles() -> None:
    edges = import_graph()
    found = strongly_connected(edges)
    new = [c for c in found if c not in KNOWN_CYCLES]
    gone = [c for c in KNOWN_CYCLES if c not in found]
    message = ""
    if new:
        message += "Import cycles:\n" + "\n".join(describe(c, edges) for c in new) + "\n"
    if gone:
        message += "Listed in KNOWN_CYCLES but no longer a cycle as listed (update the list):\n"
        message += "\n".join(f"  {', '.join(sorted(c))}" for c in gone)
    assert not message, message
