"""Issue #18 items 5 (full disk in a batch), 6 (interrupts) and 7 (index.html agrees with the folders), on the tiny
batch project (see conftest): SIGTERM and Ctrl-C stop a batch with a log line, a message, a non-zero code, no
traceback, no process and no temporary folder left; a SIGKILLed worker's unit shows as failed; after a SIGKILL of the
whole batch the next batch starts by rebuilding the index from the folders and sweeps the dead processes' folders."""

from __future__ import annotations

import glob
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from batch_helpers import root_env

pytestmark = [pytest.mark.xdist_group("batch"), pytest.mark.slow]

UNITS = "X001,X002,X003,H001"
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} ")


def _start(root, out, tmpd, units=UNITS, delay="1.5", jobs="2"):
    tmpd.mkdir(exist_ok=True)
    cmd = [sys.executable, "-m", "tthc.cli", "batch", "--period", "2025-Q1", "--units-list", units, "--jobs", jobs,
           "--out-root", str(out), "--no-progress"]
    return subprocess.Popen(cmd, env=root_env(root, TTHC_TEST_DELAY=delay, TMPDIR=str(tmpd)), cwd=str(root),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_first_report(proc, out, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not glob.glob(f"{out}/2025-Q1/*/run.json"):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    assert glob.glob(f"{out}/2025-Q1/*/run.json"), "no report finished in time"
    time.sleep(0.3)  # the next reports are running now


def _index_status(out: Path) -> dict[str, str]:
    page = (out / "index.html").read_text(encoding="utf-8")
    return dict(re.findall(r'<td>2025-Q1</td><td>(\w+)</td><td>[^<]*</td><td>[^<]*</td><td class="st-(\w+)"', page))


def _folder_truth(out: Path) -> dict[str, str]:
    """What the folders say: ok when run.json is ok and every output it lists is there, failed with a run.json whose
    status is failed (the one schema; an interrupted run writes one where there is no good run to keep, see
    tthc.run), else incomplete."""
    res = {}
    for d in sorted((out / "2025-Q1").iterdir()):
        if not d.is_dir():
            continue
        names = {f.name for f in d.iterdir()}
        run = json.loads((d / "run.json").read_text()) if "run.json" in names else None
        if run and run["status"] == "failed":
            res[d.name] = "failed"
        elif run and run["status"] == "ok" and set(run["outputs"]) <= names:
            res[d.name] = "ok"
        elif names:
            res[d.name] = "incomplete"
    return res


def _session_left(pid, wait: float = 15) -> list[str]:
    """Processes still in the batch's session after up to ``wait`` s (kernels die with their zygote at once; a
    loaded machine may take a moment to reap them), with their command lines."""
    deadline = time.monotonic() + wait
    while True:
        left = subprocess.run(["pgrep", "-s", str(pid)], capture_output=True, text=True).stdout.split()
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return [subprocess.run(["ps", "-o", "pid,ppid,stat,etime,args", "-p", p], capture_output=True,
                           text=True).stdout.strip().splitlines()[-1] for p in left]


def _log_lines_whole(out: Path) -> list[str]:
    text = (out / "2025-Q1" / "batch.log").read_text(encoding="utf-8")
    assert text.endswith("\n")
    lines = text.splitlines()
    assert all(STAMP.match(ln) or ln.startswith("  failed ") for ln in lines), lines
    return lines


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT"])
def test_sigterm_and_ctrl_c_stop_cleanly(batch_root, tmp_path, how):
    out, tmpd = tmp_path / "out", tmp_path / "tmp"
    proc = _start(batch_root, out, tmpd)
    try:
        _wait_first_report(proc, out)
        if how == "SIGTERM":
            os.kill(proc.pid, signal.SIGTERM)  # the batch process only, as a service manager or `kill` does
        else:
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole foreground group
        o, e = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    sig = getattr(signal, how)
    assert proc.returncode == 128 + sig, (proc.returncode, e[-3000:])
    assert "Traceback" not in e + o, e[-3000:]
    assert [ln for ln in e.splitlines() if ln.strip()] == [f"tthc batch: interrupted ({how})"], e[-3000:]
    lines = _log_lines_whole(out)
    assert f"batch interrupted ({how}): " in lines[-1] and "not finished" in lines[-1], lines[-3:]
    assert _session_left(proc.pid) == []  # workers, zygotes and kernels are gone
    assert os.listdir(tmpd) == []  # no tthc-zygote-*, tthc-worker-*, kernel connection files
    truth = _folder_truth(out)
    assert "ok" in truth.values() and set(truth.values()) - {"ok"} <= {"failed"}, truth
    assert _index_status(out) == truth


def test_sigkilled_worker_is_failed_in_the_index(batch_root, tmp_path):
    out, tmpd = tmp_path / "out", tmp_path / "tmp"
    proc = _start(batch_root, out, tmpd, delay="3")
    try:
        _wait_first_report(proc, out)
        # the worker of a report in progress (its run.log names it; no run.json / error.json yet)
        victim = None
        deadline = time.monotonic() + 60
        while victim is None and time.monotonic() < deadline:
            for d in (out / "2025-Q1").iterdir():
                names = {f.name for f in d.iterdir()} if d.is_dir() else set()
                if "run.log" in names and "run.json" not in names:
                    m = re.search(r"worker pid (\d+)", (d / "run.log").read_text())
                    if m:
                        victim, unit = int(m.group(1)), d.name
                        break
            time.sleep(0.05)
        assert victim, "no report in progress found"
        os.kill(victim, signal.SIGKILL)
        o, e = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert "Traceback" not in e, e[-3000:]
    truth = _folder_truth(out)
    assert _index_status(out) == truth
    assert proc.returncode == 1, (proc.returncode, e[-2000:])
    # exactly one report failed: the one the killed worker was running. That is `unit`, unless the worker finished
    # it between the folder scan and the kill and had begun its next report (seen in CI), so name it from the folders
    failed = [u for u, st in truth.items() if st != "ok"]
    assert len(failed) == 1 and truth[failed[0]] == "failed", (unit, truth)
    rec = json.loads((out / "2025-Q1" / failed[0] / "run.json").read_text())  # one schema for success and failure
    assert rec["status"] == "failed" and "worker process died" in rec["error"], rec
    assert not [p.name for p in (out / "2025-Q1").iterdir() if ".staging-" in p.name]  # the dead worker's stage
    assert set(truth) == set(UNITS.split(","))


def test_sigkilled_batch_next_batch_rebuilds_index_and_sweeps(batch_root, tmp_path):
    out, tmpd = tmp_path / "out", tmp_path / "tmp"
    proc = _start(batch_root, out, tmpd, delay="0")
    o, e = proc.communicate(timeout=300)
    assert proc.returncode == 0, e[-2000:]
    assert set(_index_status(out).values()) == {"ok"}
    # a forced re-run, SIGKILLed with everything it started: nothing can tidy up
    proc = subprocess.Popen([sys.executable, "-m", "tthc.cli", "batch", "--period", "2025-Q1", "--units-list", UNITS,
                             "--jobs", "2", "--out-root", str(out), "--no-progress", "--force"],
                            env=root_env(batch_root, TTHC_TEST_DELAY="3", TMPDIR=str(tmpd)), cwd=str(batch_root),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 240
    blog = out / "2025-Q1" / "batch.log"
    while time.monotonic() < deadline and blog.read_text().count(" start ") < 6:  # 4 earlier + 2 of this run
        time.sleep(0.05)
    time.sleep(1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    _session_left(proc.pid)  # the killed processes are gone (kernels follow their zygote)
    leftovers = sorted(p.name for p in tmpd.iterdir())
    stale_index = _index_status(out)
    truth = _folder_truth(out)
    # the folders and the old page may now disagree (a forced run removed files the page still calls ok)
    # the next batch: its first act is to rebuild the page from the folders
    proc = _start(batch_root, out, tmpd, delay="2")
    try:
        t0 = os.stat(out / "index.html").st_mtime_ns
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and os.stat(out / "index.html").st_mtime_ns == t0:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        early = _index_status(out)
        assert early == {u: s for u, s in truth.items()}, (early, truth, stale_index)
        o, e = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, e[-2000:]
    assert set(_index_status(out).values()) == {"ok"} and set(_index_status(out)) == set(UNITS.split(","))
    assert any(n.startswith("tthc-worker-") for n in leftovers), leftovers
    assert os.listdir(tmpd) == [], os.listdir(tmpd)  # the dead batch's folders were swept, this one's removed


def test_full_disk_batch_one_line(batch_root, tmp_path, tiny_disk):
    mnt = tiny_disk("160k")
    proc = _start(batch_root, mnt, tmp_path / "tmp", units="X001,X002,X003,X004,X005,H001", delay="0")
    o, e = proc.communicate(timeout=300)
    assert proc.returncode == 2 and "Traceback" not in e + o, (proc.returncode, e[-3000:])
    lines = [ln for ln in e.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"tthc batch: error: {mnt}/2025-Q1/"), e[-2000:]
    assert "No space left on device" in lines[0]
    log = _log_lines_whole(mnt)
    assert "batch stopped, disk full" in log[-1], log[-3:]
    if (mnt / "index.html").exists():  # written whole or not at all (atomic); maybe no room for one
        assert (mnt / "index.html").read_text(encoding="utf-8").endswith("</html>\n")
    assert not [p for p in mnt.rglob("*") if p.name.endswith(".tmp")]
    # space freed: the next batch finishes the rest, and the page agrees with the folders
    subprocess.run(["mount", "-o", "remount,size=16m", str(mnt)], check=True)
    proc = _start(batch_root, mnt, tmp_path / "tmp", units="X001,X002,X003,X004,X005,H001", delay="0")
    o, e = proc.communicate(timeout=300)
    assert proc.returncode == 0, e[-2000:]
    assert _index_status(mnt) == _folder_truth(mnt) == {u: "ok" for u in "X001,X002,X003,X004,X005,H001".split(",")}
