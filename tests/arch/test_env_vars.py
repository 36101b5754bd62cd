"""The package reads only the environment variables docs/architecture.md lists (section "Environment variables"):
``TTHC_ROOT``, ``TTHC_WAREHOUSE``, ``TTHC_UNITS``, the diagnostics switches and the hand-offs named there. Reads are
found with :mod:`ast`: ``os.environ[...]`` (load), ``os.environ.get(...)``, ``os.getenv(...)``, ``... in os.environ``.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PKG = REPO / "src" / "tthc"


def documented() -> list[str]:
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"`([A-Z][A-Z0-9_]*\*?)`", section)


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ")


def reads(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript) and _is_environ(node.value) and isinstance(node.ctx, ast.Load):
            key = node.slice
        elif isinstance(node, ast.Call) and node.args and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                 and _is_environ(node.func.value))
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "getenv")):
            key = node.args[0]
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)) \
                and _is_environ(node.comparators[0]):
            key = node.left
        else:
            continue
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names


def test_reader_finds_each_form():
    src = ('import os\nfrom os import environ\na = os.environ["A"]\nb = os.environ.get("B", "")\nc = os.getenv("C")\n'
           'd = "D" in os.environ\ne = environ.get("E")\nos.environ["W"] = "1"\n')
    assert reads(src) == {"A", "B", "C", "D", "E"}  # a write is not a read


def test_docs_list_the_three_settings():
    assert {"TTHC_ROOT", "TTHC_WAREHOUSE", "TTHC_UNITS"} <= set(documented())


def test_package_reads_only_documented_variables():
    allowed = documented()
    bad = sorted({(str(p.relative_to(REPO)), n) for p in PKG.rglob("*.py")
                  for n in reads(p.read_text(encoding="utf-8"))
                  if not any(fnmatch.fnmatchcase(n, a) for a in allowed)})
    assert not bad, f"environment variables read but not listed in docs/architecture.md: {bad}"
