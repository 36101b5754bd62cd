"""Fast unit tests of the batch pieces: index page, status rules, atomic writes, lock, progress accounting,
stamp equivalence with tthc.report.data.slice_hash, and the local pool's isolation on a crashing worker."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tthc.batch import atomic
from tthc.batch.index import render_index, scan, status_of

pytestmark = pytest.mark.xdist_group("batch")


def _run_dir(root: Path, period: str, unit: str, files: dict[str, str], run: dict | None = None) -> Path:
    d = root / period / unit
    d.mkdir(parents=True)
    for name, text in files.items():
        (d / name).write_text(text, encoding="utf-8")
    if run is not None:
        (d / "run.json").write_text(json.dumps(run, ensure_ascii=False), encoding="utf-8")
    return d


@pytest.fixture
def outputs(tmp_path) -> Path:
    root = tmp_path / "outputs"
    ind = {"D1": {"value": 61.5, "target": 60.0, "status": "Đạt"},
           "D5": {"value": 3.0, "target": 0.0, "status": "Chưa đạt"},
           "D6": {"value": None, "target": 100.0, "status": "Không có dữ liệu"}}
    _run_dir(root, "2025-Q1", "X001", {"report.html": "<p>r</p>", "report.pdf": "%PDF", "bieu06.xlsx": "x"},
             run={"status": "ok", "stamp": "s-x001", "outputs": ["report.html", "report.pdf", "bieu06.xlsx"],
                  "parameters": {"unit": "X001", "period": "2025-Q1", "window": "calendar", "lang": "vi"},
                  "meta": {"unit_name": "UBND xã <b>Thanh</b> & \"An\"", "level": "xa"}, "indicators": ind})
    _run_dir(root, "2025-Q1", "X002", {"report.error.ipynb": "{}"},
             run={"status": "failed", "error": "RuntimeError: <script>alert(1)</script>", "outputs": [],
                  "parameters": {"unit": "X002", "period": "2025-Q1", "window": "calendar", "lang": "vi"}})
    _run_dir(root, "2025-Q1", "H001", {"report.html": "a", "report.pdf": "b", "overview.html": "c",
                                       "overview.pdf": "d"},
             run={"status": "ok", "stamp": "old", "outputs": ["report.html", "report.pdf", "overview.html",
                                                              "overview.pdf"],
                  "parameters": {"unit": "H001", "period": "2025-Q1", "window": "calendar", "lang": "vi"},
                  "indicators": {"D1": {"value": 44.05, "target": 60.0, "status": "Chưa đạt"}}})
    # interrupted: outputs without run.json, and a temporary file
    _run_dir(root, "2025-Q2", "X003", {"report.pdf": "half", ".report.html.tmp-123": "t"})
    return root


def test_status_rules(outputs):
    entries = {(e["period"], e["unit"]): e for e in scan(outputs)}
    current = {("2025-Q1", "X001"): "s-x001", ("2025-Q1", "H001"): "new"}
    assert status_of(entries["2025-Q1", "X001"], current) == "ok"
    assert status_of(entries["2025-Q1", "H001"], current) == "stale"
    assert status_of(entries["2025-Q1", "X002"], current) == "failed"
    assert status_of(entries["2025-Q2", "X003"], current) == "incomplete"
    assert ".report.html.tmp-123" not in entries["2025-Q2", "X003"]["names"]
    # a listed output that disappeared makes the run incomplete, not ok
    (outputs / "2025-Q1" / "X001" / "report.pdf").unlink()
    e = {(e["period"], e["unit"]): e for e in scan(outputs)}["2025-Q1", "X001"]
    assert status_of(e, current) == "incomplete"


def test_index_page_links_statuses_escaping_offline(outputs):
    current = {("2025-Q1", "X001"): "s-x001", ("2025-Q1", "H001"): "new"}
    page = render_index(outputs, current, stamps=False)
    # every link is relative and points at a file that exists
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert hrefs and all(not h.startswith(("/", "http:", "https:", "file:")) for h in hrefs)
    for h in hrefs:
        assert (outputs / h.replace("&amp;", "&")).is_file(), h
    assert "2025-Q1/X001/bieu06.xlsx" in hrefs and "2025-Q1/X002/report.error.ipynb" in hrefs
    assert "2025-Q1/H001/overview.pdf" in hrefs
    # no external resources at all (self-contained; opens from disk)
    assert "http://" not in page and "https://" not in page and "<link" not in page
    assert re.search(r"<script[^>]+src=", page) is None
    # statuses
    rows = {m.group(1): m.group(0) for m in re.finditer(r"<tr><td>[^<]*</td><td>([^<]*)</td>.*?</tr>", page)}
    assert 'class="st-ok"' in rows["X001"] and 'class="st-stale"' in rows["H001"]
    assert 'class="st-failed"' in rows["X002"] and 'class="st-incomplete"' in rows["X003"]
    # strings from data are escaped
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "UBND xã &lt;b&gt;Thanh&lt;/b&gt; &amp; &quot;An&quot;" in page
    # headline indicators with attainment colours, Vietnamese number format
    assert re.search(r'class="num dat"[^>]*>61,50%<', rows["X001"])
    assert re.search(r'class="num chua"[^>]*>3<', rows["X001"])
    assert 'class="num nodata"' in rows["X001"]
    assert re.search(r'class="num chua"[^>]*>44,05%<', rows["H001"])
    # sortable headers (inline script)
    assert "table.sortable th" in page and page.count("<th>") == 15  # 7 fixed columns + D1–D8


def test_atomic_write_and_tmp_names(tmp_path):
    p = tmp_path / "d" / "run.json"
    atomic.write_text(p, '{"a": 1}')
    assert json.loads(p.read_text()) == {"a": 1}
    assert [f.name for f in p.parent.iterdir()] == ["run.json"]
    t = atomic.tmp_path(p)
    assert atomic.is_tmp(t.name) and t.parent == p.parent and not atomic.is_tmp("run.json")
    t.write_text("partial")
    (p.parent / ".report.pdf.staged").write_text("x")
    assert atomic.remove_stale_tmp(p.parent) == 2
    assert sorted(f.name for f in p.parent.iterdir()) == ["run.json"]


def test_lock_is_exclusive_and_freed(tmp_path):
    from tthc.batch.lock import BatchLock, BatchLocked

    a = BatchLock(tmp_path).acquire()
    with pytest.raises(BatchLocked) as e:
        BatchLock(tmp_path).acquire()
    assert f"pid {os.getpid()}" in str(e.value) and str(tmp_path) in str(e.value)
    a.release()
    BatchLock(tmp_path).acquire().release()


def test_progress_accounting():
    from tthc.batch.runner import BatchResult, Progress

    p = Progress(total=3, skipped=2, enabled=False)
    for ok in (True, False, True):
        p.update(ok)
    assert (p.done, p.failed, p.skipped) == (2, 1, 2)
    res = BatchResult(period="2025-Q1", out_root=Path("/x"))
    res.done = [dict(unit="X001", timing={"total": 1.0})]
    res.failed = [dict(unit="X002", error="boom", out_dir="/x/2025-Q1/X002")]
    res.skipped = [dict(unit="X003")]
    res.seconds = 2.0
    s = res.summary()
    assert "3 units — 1 done, 1 failed, 1 skipped" in s and "FAILED X002: boom" in s
    assert res.exit_code == 1
    # the error notebook is named once, whether or not the error text already names it
    nb = "/x/2025-Q1/X004/report.error.ipynb"
    res.failed = [dict(unit="X004", error=f"failed in cell 3: KeyError; see {nb}", out_dir="/x/2025-Q1/X004",
                       error_notebook="report.error.ipynb"),
                  dict(unit="X005", error="failed in cell 3", out_dir="/x/2025-Q1/X005",
                       error_notebook="report.error.ipynb")]
    s = res.summary()
    assert s.count(nb) == 1 and "FAILED X005: failed in cell 3 (see /x/2025-Q1/X005/report.error.ipynb)" in s


def _run_ok(code: str, root) -> None:
    """Run ``code`` in a fresh interpreter on the batch test root; it must print ok."""
    import subprocess
    import sys

    from batch_helpers import root_env

    r = subprocess.run([sys.executable, "-c", code], env=root_env(root), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_batch_slice_hashes_equal_report_slice_hash(batch_root, monkeypatch):
    """The batch computes all slice hashes from one read per table; they must equal the report's own."""
    code = ("from tthc.batch.plan import slice_hashes\n"
            "from tthc.report.data import slice_hash\n"
            "from tthc.units import load_registry\n"
            "reg = load_registry()\n"
            "sets = {u: [u, *reg.descendants(u)] for u in ('X001', 'X002', 'P003', 'H001')}\n"
            "a = slice_hashes(sets, '2025-Q1', 'calendar')\n"
            "b = {u: slice_hash(s, '2025-Q1', 'calendar') for u, s in sets.items()}\n"
            "assert a == b, (a, b)\n"
            "assert len(set(a.values())) == 4\n"
            "# if the report's formula changes, the batch follows it instead of writing wrong stamps\n"
            "import tempfile, pathlib, tthc.report.data as rd\n"
            "rd.slice_hash = lambda units, period, window, directory=None: 'new-' + ','.join(units)\n"
            "from tthc.batch.plan import cached_slice_hashes\n"
            "c = cached_slice_hashes(sets, '2025-Q1', 'calendar', pathlib.Path(tempfile.mkdtemp()) / 'c.json')\n"
            "assert c == {u: 'new-' + ','.join(s) for u, s in sets.items()}, c\n"
            "print('ok')\n")
    _run_ok(code, batch_root)


def test_report_reads_its_slice_hash_from_the_batch_cache(batch_root):
    """A report in a batch takes its slice hash from the batch's cache beside the cube (found from the warehouse and
    period, no hand-off) while the cube files are the ones it was computed from, and hashes the slice itself
    otherwise."""
    code = ("import os, pathlib, tempfile\n"
            "from tthc.batch.plan import cached_slice_hashes, lookup_slice_hash, slice_cache_file\n"
            "import tthc.report.data as rd\n"
            "from tthc.report.data import cube_dir, report_slice_hash, slice_hash\n"
            "from tthc.units import load_registry\n"
            "reg = load_registry()\n"
            "sets = {u: [u, *reg.descendants(u)] for u in ('X001', 'H001')}\n"
            "cache = slice_cache_file('2025-Q1')\n"
            "assert cache == cube_dir() / '.slice-hashes-2025-Q1.json'\n"
            "cache.unlink(missing_ok=True)\n"
            "c = cached_slice_hashes(sets, '2025-Q1', 'calendar')\n"
            "assert cache.is_file()\n"
            "assert lookup_slice_hash(cache, sets['H001'], '2025-Q1', 'calendar') == c['H001']\n"
            "assert lookup_slice_hash(None, sets['H001'], '2025-Q1', 'calendar') == c['H001']\n"
            "assert lookup_slice_hash(cache, ['X001', 'X002'], '2025-Q1', 'calendar') is None\n"
            "assert lookup_slice_hash(cache, sets['X001'], '2025-Q2', 'calendar') is None\n"
            "assert report_slice_hash(sets['X001'], '2025-Q1', 'calendar') == slice_hash(sets['X001'], '2025-Q1', "
            "'calendar') == c['X001']\n"
            "# the report takes it from the cache: it does not hash its slice\n"
            "real = rd.slice_hash\n"
            "rd.slice_hash = lambda *a, **k: 'hashed-again'\n"
            "assert report_slice_hash(sets['X001'], '2025-Q1', 'calendar') == c['X001']\n"
            "assert report_slice_hash(['X001', 'X002'], '2025-Q1', 'calendar') == 'hashed-again'\n"
            "rd.slice_hash = real\n"
            "# a rewritten cube file makes the cache entry stale: the report hashes for itself\n"
            "f = cube_dir() / 'counts.parquet'\n"
            "st = f.stat(); os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1))\n"
            "assert lookup_slice_hash(cache, sets['X001'], '2025-Q1', 'calendar') is None\n"
            "assert report_slice_hash(sets['X001'], '2025-Q1', 'calendar') == c['X001']\n"
            "os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))\n"
            "print('ok')\n")
    _run_ok(code, batch_root)


def _crash_spec(tmp_path, unit):
    return dict(id=f"2025-Q1/{unit}", unit=unit, period="2025-Q1", kind="test", out_dir=str(tmp_path / unit),
                pipeline="crash" if unit == "CRASH" else "noop", settings={"test_pipeline": "noop"})


def test_pool_survives_a_dying_worker(tmp_path, monkeypatch):
    """A worker process that dies (e.g. a segfault in a renderer) fails only its run; the pool replaces it."""
    from tthc.batch.pool import LocalPool

    results = []
    with LocalPool(jobs=2, conf={"settings": {"test_pipeline": "noop"}}) as pool:
        pool.run([_crash_spec(tmp_path, u) for u in ("A1", "CRASH", "A2", "A3")], on_result=results.append)
    by = {r["unit"]: r for r in results}
    assert set(by) == {"A1", "CRASH", "A2", "A3"}
    assert by["CRASH"]["status"] == "failed" and "worker process died" in by["CRASH"]["error"]
    assert all(by[u]["status"] == "ok" for u in ("A1", "A2", "A3"))


def test_deferred_pool_waits_for_its_settings(tmp_path, monkeypatch):
    """A pool started before the batch's plan (``deferred``) imports, waits for ``configure``, then runs with those
    settings — also in the worker that replaces a dead one; ``abort`` stops idle workers at once."""
    import time

    from tthc.batch.pool import LocalPool

    pool = LocalPool(jobs=2, deferred=True)
    with pytest.raises(RuntimeError, match="configure"):
        pool.run([_crash_spec(tmp_path, "A0")], on_result=lambda r: None)
    results = []
    pool.configure({"settings": {"test_pipeline": "noop"}}, str(tmp_path))
    with pool:
        pool.run([_crash_spec(tmp_path, u) for u in ("A1", "CRASH", "A2", "A3")], on_result=results.append)
    by = {r["unit"]: r for r in results}
    assert by["CRASH"]["status"] == "failed" and all(by[u]["status"] == "ok" for u in ("A1", "A2", "A3"))
    idle = LocalPool(jobs=2, deferred=True)
    t = time.perf_counter()
    idle.abort()
    assert time.perf_counter() - t < 5 and not any(s.proc.is_alive() for s in idle.slots)


def test_kernel_start_retries_a_port_race(monkeypatch, tmp_path):
    """`ZMQError: Address already in use` while starting a kernel is retried; the kernel then works."""
    import asyncio
    import errno

    import zmq
    from jupyter_client.manager import AsyncKernelManager

    from tthc.batch import kernels

    calls = {"n": 0}
    real = AsyncKernelManager.start_kernel

    async def flaky(self, **kw):
        calls["n"] += 1
        if calls["n"] == 1:
            raise zmq.error.ZMQError(errno.EADDRINUSE)
        return await real(self, **kw)

    monkeypatch.setattr(AsyncKernelManager, "start_kernel", flaky)

    async def go():
        km = await kernels.start_kernel(tmp_path, fork=False, warmup="x = 6 * 7")
        kc = km.client()
        kc.start_channels()
        try:
            reply = await kc.execute_interactive("assert x == 42", timeout=60)
            return reply["content"]["status"]
        finally:
            kc.stop_channels()
            await kernels.shutdown_kernel(km)

    assert asyncio.run(go()) == "ok"
    assert calls["n"] == 2


def test_other_kernel_start_errors_are_not_retried(monkeypatch, tmp_path):
    import asyncio

    from jupyter_client.manager import AsyncKernelManager

    from tthc.batch import kernels

    calls = {"n": 0}

    async def broken(self, **kw):
        calls["n"] += 1
        raise RuntimeError("no such kernel")

    monkeypatch.setattr(AsyncKernelManager, "start_kernel", broken)
    with pytest.raises(RuntimeError, match="no such kernel"):
        asyncio.run(kernels.start_kernel(tmp_path, fork=False))
    assert calls["n"] == 1


def test_zygote_warms_the_chart_layouts_reports_use(batch_root):
    """The zygote draws the scorecard and 766 charts once per language for the batch's period; a report's own charts
    then find their layout in the cache (no new entry), so kernels skip the tight-layout pass. (A unit without 766
    items draws an empty chart: another layout, computed when needed.)"""
    _run_ok("from tthc.batch import _preload\n"
            "from tthc.report import plots\n"
            "import tthc.report\n"
            "plots._LAYOUTS.clear()\n"
            "_preload._warm_chart_layouts('2025-Q1', 'calendar')\n"
            "assert len(plots._LAYOUTS) == 4, len(plots._LAYOUTS)\n"
            "for unit, lang in (('X003', 'vi'), ('X004', 'en'), ('H001', 'vi')):\n"
            "    r = tthc.report.load(unit, '2025-Q1', 'calendar', lang)\n"
            "    plots.fig_scorecard(r.own(), lang, r.meta['period_label'])\n"
            "    plots.fig_766(r.data.index766, lang)\n"
            "assert len(plots._LAYOUTS) == 4, len(plots._LAYOUTS)\n"
            # the trend chart's frames: one per language for the period's 12 months, each used once, same PNG
            "assert sorted(k[1] for k in plots._TREND_FRAMES) == ['en', 'vi']\n"
            "r = tthc.report.load('X004', '2025-Q1', 'calendar', 'en')\n"
            "framed = plots.to_png(plots.fig_trends(r.data.trend, 'en'))\n"
            "assert [k[1] for k in plots._TREND_FRAMES] == ['vi']\n"
            "assert plots.to_png(plots.fig_trends(r.data.trend, 'en')) == framed  # built fresh this time\n"
            "print('ok')\n", batch_root)


_KERNEL_PARENT = """
import asyncio, os, sys
from tthc.batch import kernels

if len(sys.argv) > 2:  # the batch's shared zygote, told explicitly (as a worker's Runner does)
    kernels.configure_zygote(kernels.ZygoteSetup(socket=sys.argv[2], socket_backend=sys.argv[3]))

async def go():
    km = await kernels.start_kernel(sys.argv[1], fork=True, warmup=None)
    kc = km.client()
    kc.start_channels()
    try:
        reply = await kc.execute_interactive("import os\\nprint(os.getppid())", timeout=60,
                                             output_hook=lambda m: out.append(m["content"].get("text", "")))
        return reply["content"]["status"]
    finally:
        kc.stop_channels()
        await kernels.shutdown_kernel(km)

out = []
status = asyncio.run(go())
print(status, "".join(out).strip(), type(kernels._zygote).__name__)
"""


def _kernel_parents(tmp_path, shared: dict | None, n=2):
    """Start ``n`` processes at once that each fork one kernel (``shared``: the batch zygote they are told of,
    ``{"socket", "backend"}``); return what each says: status, the kernel's parent pid, and the kind of zygote it
    used."""
    import os
    import subprocess
    import sys

    extra = [shared["socket"], shared["backend"]] if shared else []
    procs = [subprocess.Popen([sys.executable, "-c", _KERNEL_PARENT, str(tmp_path), *extra], env=dict(os.environ),
                              text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(n)]
    outs = []
    for p in procs:
        o, e = p.communicate(timeout=180)
        assert p.returncode == 0, e
        outs.append(o.split())
    return outs


def test_workers_share_the_batch_zygote_and_fall_back_to_their_own(tmp_path):
    """A batch starts one zygote; every worker's kernels are forks of it (their parent is that process). A worker
    that cannot reach it (stale socket) starts its own zygote and its kernel still runs."""
    import os
    import socket

    from tthc.batch import kernels

    z, extra = kernels.start_shared_zygote(None, dict(os.environ))
    try:
        assert os.path.exists(extra["socket"]) and extra["backend"] == kernels.INLINE_BACKEND
        outs = _kernel_parents(tmp_path, extra)
        assert [o[0] for o in outs] == ["ok", "ok"]
        assert [int(o[1]) for o in outs] == [z.proc.pid, z.proc.pid]
        assert [o[2] for o in outs] == ["ZygoteClient", "ZygoteClient"]
    finally:
        z.close()
    assert not os.path.exists(extra["socket"])
    assert not os.path.exists(os.path.dirname(extra["socket"]))  # the folder made for it too
    # a socket nobody listens on any more
    stale = tmp_path / "stale.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(stale))
    s.close()
    (out,) = _kernel_parents(tmp_path, {"socket": str(stale), "backend": kernels.INLINE_BACKEND}, n=1)
    assert out[0] == "ok" and int(out[1]) != z.proc.pid and out[2] == "Zygote"
    # not told of a shared zygote: its own
    (out,) = _kernel_parents(tmp_path, None, n=1)
    assert out[0] == "ok" and out[2] == "Zygote"
    # another backend than the shared zygote's: the worker does not use it
    z, extra = kernels.start_shared_zygote("Agg", dict(os.environ))
    try:
        (out,) = _kernel_parents(tmp_path, extra, n=1)
        assert out[0] == "ok" and int(out[1]) != z.proc.pid and out[2] == "Zygote"
    finally:
        z.close()
