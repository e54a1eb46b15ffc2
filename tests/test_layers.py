"""The import graph follows the stages: core -> indexer -> search -> expertise -> notify ->
web -> quisait (the CLI), never back; and modules inside a package import each other
without circles.

Read from the source with ``ast``: every import that runs (at module level or inside a
function, which is where a circle hides), not those under ``if TYPE_CHECKING:`` (types
only).  ``from package import name`` counts as importing the submodule when ``name`` is
one, else the package; a package's ``__init__`` (its re-exports) is left out of the
circles, since every submodule runs it first anyway.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("core", "indexer", "search", "expertise", "notify", "web", "quisait")
# circles older than this test, each to be broken; none may appear or grow
KNOWN_CYCLES = [
    {"indexer.french_phrases", "indexer.french_words", "indexer.keyphrases"},
    {"indexer.embeddings", "indexer.onnx_encoder"},
    {"web.auth", "web.errors", "web.observability", "web.ratelimit"},
    {"web.audit", "web.schema"},
    {"quisait.backup_cli", "quisait.cli", "quisait.expertise_cli", "quisait.feeds_cli",
     "quisait.notify_cli", "quisait.outbox_cli", "quisait.tune_cli", "quisait.worker_cli"},
]


def _module(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _imported(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The project modules ``tree`` imports when it runs."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit_node(other)
                continue
            visit_node(child)

    def visit_node(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package up
                package = module.split(".") if is_package else module.split(".")[:-1]
                base = ".".join(package[:len(package) - node.level + 1] + [base] * bool(base))
            for alias in node.names:
                name = f"{base}.{alias.name}"
                found.add(name if name in known else base)
        visit(node)

    visit(tree)
    return found & known - {module}


def import_graph(root: Path = ROOT) -> tuple[dict[str, set[str]], set[str]]:
    """Module -> the project modules it imports; and which modules are packages."""
    paths = {_module(path, root): path for layer in LAYERS
             for path in sorted((root / layer).rglob("*.py"))}
    known = set(paths)
    graph = {module: _imported(ast.parse(path.read_text(encoding="utf-8")), module,
                               path.name == "__init__.py", known)
             for module, path in paths.items()}
    return graph, {m for m, path in paths.items() if path.name == "__init__.py"}


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    rank = {layer: index for index, layer in enumerate(LAYERS)}
    return sorted((module, target) for module, targets in graph.items() for target in targets
                  if rank[target.split(".")[0]] > rank[module.split(".")[0]])


def cycles(graph: dict[str, set[str]], packages: set[str]) -> list[set[str]]:
    """Circles of imports between modules of one package (strongly connected components
    of more than one module, Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def edges(module: str) -> list[str]:
        return sorted(t for t in graph[module] if t not in packages
                      and t.split(".")[0] == module.split(".")[0])

    def connect(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in edges(module):
            if target not in index:
                connect(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(component)

    for module in sorted(graph):
        if module not in index and module not in packages:
            connect(module)
    return found


def test_no_layer_imports_a_layer_above_it() -> None:
    graph, _ = import_graph()
    assert upward_imports(graph) == []


def test_no_new_import_circle_inside_a_package() -> None:
    graph, packages = import_graph()
    new = [sorted(c) for c in cycles(graph, packages) if c not in KNOWN_CYCLES]
    assert new == []


def test_the_finder_the_engine_and_the_services_stand_clear_of_their_helpers() -> None:
    """The circles this test was written against: the expert finder and the modules of
    its pages, the search engine and explore, the app's services and the replicas."""
    graph, packages = import_graph()
    circled = set().union(*cycles(graph, packages))
    assert not circled & {"expertise.finder", "expertise.people", "expertise.routing",
                          "search.engine", "search.explore", "web.services", "web.replicas"}


def test_the_checks_see_a_circle_and_an_upward_import(tmp_path: Path) -> None:
    for layer in LAYERS:
        (tmp_path / layer).mkdir()
        (tmp_path / layer / "__init__.py").write_text("")
    (tmp_path / "search" / "a.py").write_text("def f():\n    from search.b import g\n")
    (tmp_path / "search" / "b.py").write_text("from search import a\nimport web.c\n")
    (tmp_path / "search" / "d.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from web import c\n")
    (tmp_path / "web" / "c.py").write_text("")
    graph, packages = import_graph(tmp_path)
    assert cycles(graph, packages) == [{"search.a", "search.b"}]
    assert upward_imports(graph) == [("search.b", "web.c")]
