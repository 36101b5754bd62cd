"""One-way architecture: the import graph of ``src/tthc`` (every import statement, module-level or inside a function,
read with :mod:`ast`) has no cycle, and ``tthc.report`` never imports ``tthc.batch``, ``tthc.commands`` or
``tthc.cli``."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PKG = SRC / "tthc"
FORBIDDEN_FOR_REPORT = ("tthc.batch", "tthc.commands", "tthc.cli")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PKG.rglob("*.py")}


def _resolve(name: str, known: set[str]) -> str | None:
    """The longest prefix of ``name`` that is a module of the package."""
    parts = name.split(".")
    while parts:
        cand = ".".join(parts)
        if cand in known:
            return cand
        parts.pop()
    return None


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        is_pkg = path.name == "__init__.py"
        base = mod.split(".") if is_pkg else mod.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    anchor = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                    prefix = ".".join([*anchor, *(node.module.split(".") if node.module else [])])
                else:
                    prefix = node.module or ""
                # `from pkg import sub` imports the submodule when there is one, else a name of pkg
                targets = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in known else prefix for a in node.names]
            for t in targets:
                r = _resolve(t, known)
                if r and r != mod:
                    graph[mod].add(r)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    import sys

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_graph_reader_sees_imports():
    g = import_graph()
    # hand-checked edges: module-level, relative with level 2, and inside a function
    assert "tthc.config" in g["tthc.report.data"]          # from .. import config
    assert "tthc.engine.query" in g["tthc.report.data"]    # from ..engine import query as q (in load_slice)
    assert "tthc.run" in g["tthc.commands.report"]         # from ..run import … (inside run())


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles in src/tthc: " + "; ".join(" ↔ ".join(c) for c in found)


def test_report_imports_neither_batch_nor_commands_nor_cli():
    g = import_graph()
    bad = sorted((m, t) for m, ts in g.items() if m == "tthc.report" or m.startswith("tthc.report.")
                 for t in ts if any(t == f or t.startswith(f + ".") for f in FORBIDDEN_FOR_REPORT))
    assert not bad, f"report/ imports the command or batch layer: {bad}"
