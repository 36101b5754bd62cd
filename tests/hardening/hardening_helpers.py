"""Shared tools of the hardening tests: run the CLI in a bounded subprocess, build throw-away project roots, snapshot
file trees, collect the personal values of a sample and scan outputs for them, and tally what was exercised.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TTHC = str(Path(sys.executable).with_name("tthc"))
MEM_LIMIT = 3 << 30  # address-space cap of a CLI subprocess (the ingest must work within it)


def _limits(mem: int):
    def pre():
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        os.setsid()  # own process group: a timeout kills the whole tree
    return pre


def env_for(root: Path, **extra) -> dict:
    env = dict(os.environ)
    env["TTHC_ROOT"] = str(root)
    env.pop("TTHC_WAREHOUSE", None)
    env.pop("TTHC_UNITS", None)
    env["MPLBACKEND"] = "Agg"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_cli(args: list[str], root: Path, timeout: float = 120, mem: int = MEM_LIMIT, env: dict | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``tthc ARGS`` in a subprocess with a wall-clock timeout and an address-space limit; a timeout fails the test
    (a hang is a finding)."""
    p = subprocess.Popen([TTHC, *args], cwd=cwd or root, env=env or env_for(root), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, errors="replace", preexec_fn=_limits(mem))
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        p.communicate()
        raise AssertionError(f"tthc {' '.join(args)[:200]} did not finish within {timeout} s (hang)") from None
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def assert_clean(r: subprocess.CompletedProcess, allow=(0, 2)) -> None:
    """Exit 0, or exit 2 with a one-line ``tthc …: error:`` message; never a traceback."""
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, r.stderr[-3000:]
    assert r.returncode in allow, (r.returncode, r.stderr[-2000:])
    if r.returncode == 2:
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert lines and lines[-1].startswith("tthc ") and ": error: " in lines[-1], r.stderr[-2000:]


def make_root(root: Path, units_yaml: str | None = None) -> Path:
    """A project root (params/, notebooks/, pyproject.toml copied) at ``root``; optionally a replaced registry."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "params", root / "params", dirs_exist_ok=True)
    shutil.copytree(REPO / "notebooks", root / "notebooks", dirs_exist_ok=True)
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    if units_yaml is not None:
        (root / "params" / "units.yaml").write_text(units_yaml, encoding="utf-8")
    return root


def tree(root: Path, skip=()) -> dict[str, str]:
    """{relative path: sha256 or 'dir'} for every entry under ``root`` (symlinks not followed)."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        if any(rel == s or rel.startswith(s + os.sep) for s in skip):
            continue
        for d in dirs:
            out[os.path.normpath(os.path.join(rel, d))] = "dir"
        for f in files:
            p = os.path.join(dirpath, f)
            try:
                out[os.path.normpath(os.path.join(rel, f))] = hashlib.sha256(Path(p).read_bytes()).hexdigest()
            except OSError:
                out[os.path.normpath(os.path.join(rel, f))] = "unreadable"
    return out


# -- tallies ---------------------------------------------------------------------------------------------------
def tally_file(config) -> Path:
    base = config._tmp_path_factory.getbasetemp()
    base = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return base / "hardening-tally.jsonl"


def add_tally(config, kind: str, n: int, what: str) -> None:
    with open(tally_file(config), "a", encoding="utf-8") as f:
        f.write(json.dumps({"kind": kind, "n": n, "what": what}) + "\n")


# -- personal data ---------------------------------------------------------------------------------------------
JSON_PERSONAL = ("ChuHoSo", "SoGiayToChuHoSo", "SoDienThoaiChuHoSo", "EmailChuHoSo", "DiaChiChuHoSo")


def personal_values(json_path: Path, xlsx_path: Path) -> set[str]:
    """Every personal value written into the two sample exports (the JSON fields above, the XLSX columns listed
    under ``drop:`` in params/sources/motcua_hd.yaml)."""
    import yaml
    from openpyxl import load_workbook

    vals: set[str] = set()
    for obj in json.loads(json_path.read_text(encoding="utf-8")):
        for k in JSON_PERSONAL:
            v = obj.get(k)
            if isinstance(v, str) and v.strip():
                vals.add(v.strip())
    drop = yaml.safe_load((REPO / "params" / "sources" / "motcua_hd.yaml").read_text(encoding="utf-8"))["drop"]
    wb = load_workbook(xlsx_path, read_only=True)
    ws = wb.worksheets[0]
    cols = None
    for row in ws.iter_rows(values_only=True):
        if cols is None:
            if "Mã hồ sơ" in row:
                cols = [i for i, c in enumerate(row) if c in drop]
                assert len(cols) == len(drop), (row, drop)
            continue
        for i in cols:
            v = row[i] if i < len(row) else None
            if isinstance(v, str) and v.strip():
                vals.add(v.strip())
    wb.close()
    return vals


def addresses_only(vals: set[str]) -> set[str]:
    return {v for v in vals if "," in v}


def _trie_pattern(words) -> str:
    """One regex for a set of literal strings, factored as a trie so matching stays linear in the text."""
    import re

    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node) -> str:
        alts, end = [], "" in node
        for ch in sorted(k for k in node if k):
            alts.append(re.escape(ch) + emit(node[ch]))
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if end else body

    return emit(trie)


class Finder:
    """Finds any of many literal strings in text or bytes (trie-factored regex: linear in the text)."""

    def __init__(self, needles: set[str]):
        import re

        self.needles = set(needles)
        self.rx = re.compile(_trie_pattern(self.needles))
        # bytes: the same over the UTF-8 encodings, decoded back
        self.rxb = re.compile(_trie_pattern({n.encode("utf-8").decode("latin-1") for n in self.needles})
                              .encode("latin-1"))

    def text(self, s: str) -> list[str]:
        return sorted({m for m in self.rx.findall(s) if m in self.needles})

    def bytes(self, b: bytes) -> list[str]:
        found = {m.decode("utf-8", "replace") for m in self.rxb.findall(b)}
        return sorted(found & self.needles)


def texts_of(path: Path) -> list[tuple[str, str]]:
    """(label, text) views of one output file for the privacy scan: the raw bytes always, plus the extracted text
    of PDF (pdftotext), XLSX (every cell value) and DuckDB (every VARCHAR value of every table)."""
    out = [("bytes", None)]
    suf = path.suffix.lower()
    if suf == ".pdf":
        r = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        out.append(("pdftotext", r.stdout))
    elif suf == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path)
        cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
        out.append(("cells", "\n".join(cells)))
    elif suf == ".duckdb":
        import duckdb

        con = duckdb.connect(str(path), read_only=True)
        try:
            parts = []
            cols = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                               "WHERE data_type = 'VARCHAR'").fetchall()
            for t, c in cols:
                parts += [v for (v,) in con.execute(f'SELECT DISTINCT "{c}" FROM "{t}" WHERE "{c}" IS NOT NULL')
                          .fetchall()]
            out.append(("select", "\n".join(parts)))
        finally:
            con.close()
    elif suf == ".parquet":
        import pyarrow.parquet as pq

        t = pq.read_table(path)
        parts = [str(v) for col in t.columns if str(col.type) in ("string", "large_string")
                 for v in col.to_pylist() if v is not None]
        out.append(("values", "\n".join(parts)))
    return out
