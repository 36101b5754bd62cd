"""Issue #18 item 5: a warehouse file that is empty, truncated, not DuckDB or locked, and a damaged cube Parquet, give
one line (never a DuckDB / pyarrow traceback) from every command that opens them; ingest never blames "another
process" for a damaged file; a locked warehouse is waited for, with a message, then one line."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import pytest

import hardening_helpers as hh

HEAD = "Mã hồ sơ;Mã TTHC;Tên thủ tục hành chính;Mã lĩnh vực;Đơn vị xử lý;Hình thức nộp;Ngày tiếp nhận;Trạng thái\n"
PERIOD = "2025-Q1"


def _csv(path, n=200, prefix="S"):
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEAD)
        for i in range(n):
            f.write(f"{prefix}-{i};1.000001;Đăng ký khai sinh;HT;X{1 + i % 20:03d};Trực tuyến;0{1 + i % 9}/03/2025 "
                    f"08:00;Đã tiếp nhận\n")
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A project root with a good 200-dossier warehouse and four damaged copies of it."""
    base = tmp_path_factory.mktemp("whfaults")
    root = hh.make_root(base / "root")
    small = _csv(base / "small.csv")
    good = root / "w" / "good.duckdb"
    # a minimal export (no fee, payment, digitisation... columns): stored anyway, the point is the warehouse
    r = hh.run_cli(["ingest", "--allow-missing", "--warehouse", str(good), str(small)], root)
    hh.assert_clean(r, allow=(0,))
    data = good.read_bytes()
    bad = {"empty": b"", "truncated": data[:20_000], "text": b"not a database at all\n" * 200,
           "sqlite": b"SQLite format 3\x00" + b"\x00" * 5000}
    paths = {}
    for k, v in bad.items():
        paths[k] = root / "w" / f"{k}.duckdb"
        paths[k].write_bytes(v)
    return dict(root=root, good=good, bad=paths, small=small)


def _one_line(r, cmd):
    assert "Traceback" not in r.stderr + r.stdout, r.stderr[-3000:]
    assert r.returncode == 2, (cmd, r.returncode, r.stdout[-500:], r.stderr[-1500:])
    last = [ln for ln in r.stderr.splitlines() if ln.strip()][-1]
    assert last.startswith(f"tthc {cmd}: error: "), r.stderr
    return last


@pytest.mark.parametrize("kind", ["empty", "truncated", "text", "sqlite"])
def test_damaged_warehouse_in_process(site, kind):
    from tthc import warehouse as wh

    p = site["bad"][kind]
    for ro in (True, False):
        with pytest.raises(wh.WarehouseError) as ei:
            con = wh.connect(p, read_only=ro)
            con.close()
        assert ei.value.kind == "corrupt", (kind, ro, str(ei.value))
        msg = str(ei.value)
        assert "\n" not in msg and str(p) in msg and "another" not in msg, msg
    assert len(p.read_bytes()) == {"empty": 0, "truncated": 20_000, "text": 22 * 200, "sqlite": 5016}[kind]


@pytest.mark.parametrize("kind", ["empty", "truncated", "text", "sqlite"])
def test_damaged_warehouse_every_command_one_line(site, kind, tally):
    root, p = site["root"], str(site["bad"][kind])
    cmds = [["indicators", "--period", PERIOD], ["bieu06", "--period", PERIOD],
            ["export", "--period", PERIOD, "--unit", "X001", "--out", str(root / "o.xlsx")],
            ["ingest", str(site["small"])]]
    if kind == "truncated":  # the slow ones once: they open the warehouse the same way
        cmds += [["report", "--unit", "X001", "--period", PERIOD, "--no-pdf", "--out-root", str(root / "out")],
                 ["batch", "--period", PERIOD, "--units-list", "X001", "--no-pdf", "--no-progress", "--out-root",
                  str(root / "out")]]
    for c in cmds:
        r = hh.run_cli([*c, "--warehouse", p], root, timeout=180)
        line = _one_line(r, c[0])
        assert p in line and ("damaged" in line or "not a DuckDB" in line or "empty" in line), line
        assert "another process" not in line and "another ingest" not in line, line
    assert not (root / "o.xlsx").exists()
    tally("faults injected", len(cmds), f"damaged warehouse ({kind}) × commands")


def _hold_writer(path, seconds):
    code = (f"import duckdb, time, sys; c = duckdb.connect({str(path)!r}); print('held', flush=True); "
            f"time.sleep({seconds})")
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "held"
    return p


def test_locked_warehouse_waits_then_one_line(site, tally):
    from tthc import warehouse as wh

    holder = _hold_writer(site["good"], 30)
    try:
        said = []
        t = time.monotonic()
        with pytest.raises(wh.WarehouseError) as ei:
            wh.connect(site["good"], read_only=True, wait=1.0).close()
        assert ei.value.kind == "locked" and f"process {holder.pid}" in str(ei.value)
        assert time.monotonic() - t >= 1.0
        with pytest.raises(wh.WarehouseError):
            wh.open_duckdb(site["good"], read_only=False, wait=0.5, say=said.append)
        assert len(said) == 1 and "waiting up to" in said[0], said
        env = hh.env_for(site["root"], TTHC_WAREHOUSE_WAIT="1")
        for c in (["indicators", "--period", PERIOD], ["ingest", str(_csv(site["root"] / "more.csv", 5, "M"))]):
            r = hh.run_cli([*c, "--warehouse", str(site["good"])], site["root"], env=env)
            line = _one_line(r, c[0])
            assert "in use by process" in line and "waited 1 s" in line, line
            assert "waiting up to 1 s" in r.stderr
    finally:
        holder.kill()
        holder.wait()
    tally("faults injected", 2, "warehouse locked by another writer")


def test_locked_warehouse_is_waited_for(site):
    """The holder lets go within the wait: the command goes on."""
    from tthc import warehouse as wh

    holder = _hold_writer(site["good"], 1.5)
    said = []
    con = wh.open_duckdb(site["good"], read_only=True, wait=30, say=said.append)
    con.close()
    holder.wait()
    assert len(said) == 1


def test_damaged_cube_parquet_is_rebuilt(site, tally):
    root = site["root"]
    r = hh.run_cli(["indicators", "--period", PERIOD, "--format", "csv", "--warehouse", str(site["good"])], root)
    hh.assert_clean(r, allow=(0,))
    before = r.stdout
    f = site["good"].parent / "good.cube" / "indicators.parquet"  # one cube per warehouse, beside it
    for damage in (f.read_bytes()[:300], b"garbage" * 50, b""):
        f.write_bytes(damage)
        r = hh.run_cli(["indicators", "--period", PERIOD, "--format", "csv", "--warehouse", str(site["good"])], root)
        hh.assert_clean(r, allow=(0,))
        assert r.stdout == before
        assert "indicators.parquet" in r.stderr and "rebuilding" in r.stderr, r.stderr
    tally("faults injected", 3, "damaged cube Parquet")


def test_damaged_cube_read_is_one_line(tmp_path):
    from tthc.engine import query
    from tthc.errors import InputError

    (tmp_path / "bieu06.parquet").write_bytes(b"PAR1" + b"x" * 100)
    with pytest.raises(InputError, match="damaged cube file"):
        query._table("bieu06", tmp_path)


def test_cli_turns_os_and_duckdb_errors_into_one_line(monkeypatch, capsys):
    import errno

    from tthc import cli
    from tthc.commands import check

    def boom(args):
        raise OSError(errno.ENOSPC, "No space left on device", "/srv/out/x.html")

    monkeypatch.setattr(check, "run", boom)
    assert cli.main(["check"]) == 2
    err = capsys.readouterr().err
    assert err == "tthc check: error: /srv/out/x.html: No space left on device; free space on that disk or write " \
                  "elsewhere\n"

    import duckdb

    def dboom(args):
        raise duckdb.IOException("IO Error: Could not read enough bytes from file \"w.duckdb\"")

    monkeypatch.setattr(check, "run", dboom)
    assert cli.main(["check"]) == 2
    assert "damaged or truncated" in capsys.readouterr().err

    def bug(args):
        raise ZeroDivisionError("a bug keeps its traceback")

    monkeypatch.setattr(check, "run", bug)
    with pytest.raises(ZeroDivisionError):
        cli.main(["check"])
