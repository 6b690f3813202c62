"""Which way the arrows go between the modules of ``include/amazon_passweb``, read from the source.

Every ``import`` counts, at module level or inside a function (a deferred import is still a
dependency). An import names one module: ``from a.b import c`` is an edge to ``a.b`` and, when
``c`` is a module, to ``a.b.c``; the packages Python initialises on the way (``a``) are not
edges, or every package ``__init__`` that re-exports its modules would look like a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "include"
PACKAGE = "amazon_passweb"

# One package per external system: none may import another (they meet in importer/ and orchestration/).
ADAPTERS = ("amazon", "gestionale", "site", "notify")
# Packages whose modules stay free of Airflow, except their ``hook`` module (the Airflow side of it).
AIRFLOW_FREE = ("importer", "site", "notify", "amazon", "gestionale")



def _modules() -> dict[str, tuple[Path, bool]]:
    """Dotted name → (file, is a package ``__init__``)."""
    found = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


MODULES = _modules()


def _imported_names(name: str) -> set[str]:
    """Every module name ``name`` imports, resolved to absolute names (third-party ones included)."""
    path, is_package = MODULES[name]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            names.add(source)
            names.update(f"{source}.{alias.name}" for alias in node.names if f"{source}.{alias.name}" in MODULES)
    return names


IMPORTS = {name: _imported_names(name) for name in MODULES}
GRAPH = {
    name: {other for other in imported if other in MODULES and other != name} for name, imported in IMPORTS.items()
}


def _short(name: str) -> str:
    return name.removeprefix(f"{PACKAGE}.")


def _top(name: str) -> str | None:
    """The package right under amazon_passweb (``importer`` for ``amazon_passweb.importer.push``)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else None


def _cycles() -> set[frozenset[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: set[frozenset[str]] = set()
    for start in GRAPH:
        if start in index:
            continue
        work = [(start, iter(sorted(GRAPH[start])))]
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
                    work.append((child, iter(sorted(GRAPH[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.add(frozenset(_short(member) for member in group))
    return groups


def test_the_graph_is_read_from_the_source():
    # The reader resolves absolute, relative and deferred imports: a few edges known to exist.
    assert "amazon_passweb.amazon.client" in GRAPH["amazon_passweb.amazon.hook"]
    assert "amazon_passweb.gestionale.client" in GRAPH["amazon_passweb.gestionale.hook"]
    assert "amazon_passweb.site.db" in GRAPH["amazon_passweb.site.unit_of_work"]  # from .db import …
    assert "amazon_passweb.site.hook" in GRAPH["amazon_passweb.site.db"]  # inside a function
    assert "amazon_passweb.ui" in GRAPH["amazon_passweb.ui.app"]
    assert len(MODULES) > 50


def test_no_import_cycles():
    cycles = _cycles()
    assert not cycles, "modules importing each other: " + "; ".join(" ↔ ".join(sorted(group)) for group in cycles)


@pytest.mark.parametrize("package", AIRFLOW_FREE)
def test_airflow_only_in_hook_modules(package):
    offenders = {
        _short(name)
        for name, imported in IMPORTS.items()
        if _top(name) == package
        and name.rsplit(".", 1)[-1] != "hook"
        and any(other == "airflow" or other.startswith("airflow.") for other in imported)
    }
    assert offenders == set(), f"Airflow imported outside {package}/hook.py"


def test_the_service_layer_builds_no_client_from_airflow():
    # importer/ is handed its clients by orchestration/, which builds them with the hooks.
    offenders = {
        (_short(name), _short(other))
        for name, others in GRAPH.items()
        if _top(name) == "importer"
        for other in others
        if other.rsplit(".", 1)[-1] == "hook" or _top(other) == "orchestration"
    }
    assert offenders == set(), "importer/ reaches Airflow through a hook or orchestration/"


def test_no_adapter_imports_another():
    edges = {
        (_short(name), _short(other))
        for name, others in GRAPH.items()
        for other in others
        if _top(name) in ADAPTERS and _top(other) in ADAPTERS and _top(name) != _top(other)
    }
    assert edges == set(), "an adapter package imports another"
