"""The package reads only the environment variables docs/architecture.md lists (section "Environment variables"):
``TTHC_ROOT``, ``TTHC_WAREHOUSE``, ``TTHC_UNITS``, ``TTHC_WAREHOUSE_WAIT`` and the diagnostics switches; the settings
handed between processes (issue #16) travel as ``tthc.settings.RunSettings``, never as ``TTHC_*`` variables. Reads
are found with :mod:`ast`: ``os.environ[...]`` (load), ``os.environ.get(...)``, ``os.getenv(...)``, ``... in
os.environ``; any ``TTHC_*`` name written anywhere in the package (a write, a dict key handed to a child process, a
comment) must be one of the eight documented ones.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PKG = REPO / "src" / "tthc"
#: the only TTHC_* variables: the project's locations, the warehouse wait, and the diagnostics switches
TTHC_NAMES = {"TTHC_ROOT", "TTHC_WAREHOUSE", "TTHC_UNITS", "TTHC_WAREHOUSE_WAIT",
              "TTHC_KERNEL_LOG", "TTHC_KERNEL_PROFILE", "TTHC_DUCKDB_MEMORY", "TTHC_GENERATED"}
#: hand-offs between processes that were environment variables before issue #16 (now explicit, typed settings)
FORMER_HANDOFFS = ("TTHC_SLICE_CACHE", "TTHC_BATCH_", "TTHC_ZYGOTE_", "TTHC_RULES766", "TTHC_CUBE_READY")
_TTHC_NAME = re.compile(r"TTHC_[A-Z0-9_]*[A-Z0-9]")


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


def names_in(text: str) -> set[str]:
    return set(_TTHC_NAME.findall(text))


def test_name_finder_sees_writes_and_dict_keys():
    src = 'os.environ["TTHC_A1"] = "1"\nenv = {"TTHC_B_C": "x"}\n# TTHC_ROOT\n'
    assert names_in(src) == {"TTHC_A1", "TTHC_B_C", "TTHC_ROOT"}


def test_docs_list_exactly_the_eight_tthc_variables():
    tthc = {n for n in documented() if n.startswith("TTHC_")}
    assert tthc == TTHC_NAMES, f"docs/architecture.md lists {sorted(tthc ^ TTHC_NAMES)} beyond/instead of the eight"


def test_package_names_no_other_tthc_variable():
    """No hand-off comes back: not read, not written, not passed in a child's environment, not even mentioned."""
    bad = sorted({(str(p.relative_to(REPO)), n) for p in PKG.rglob("*.py")
                  for n in names_in(p.read_text(encoding="utf-8")) if n not in TTHC_NAMES})
    assert not bad, f"TTHC_* names other than the documented eight in the package: {bad}"
    for p in PKG.rglob("*.py"):
        text = p.read_text(encoding="utf-8")
        assert not any(h in text for h in FORMER_HANDOFFS), p
