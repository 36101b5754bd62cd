"""Constants and small rules with one home, imported by every other user (issue 16: each rule in one place)."""

from __future__ import annotations


def test_is_port_race_one_rule():
    from tthc import run
    from tthc.batch import kernels
    from tthc.kernel import is_port_race

    assert run._is_port_race is is_port_race and kernels._is_port_race is is_port_race
    assert is_port_race(OSError("[Errno 98] Address already in use"))
    assert is_port_race(RuntimeError("bind failed: EADDRINUSE"))
    assert is_port_race(RuntimeError("Kernel didn't respond in 60 seconds"))
    assert is_port_race(RuntimeError("Kernel died before replying to kernel_info"))

    class ZMQError(Exception):
        pass

    assert is_port_race(ZMQError("Address in use"))
    assert not is_port_race(RuntimeError("No such kernel named tthc"))
    assert not is_port_race(TimeoutError("cell timed out"))


def test_cube_tables_and_report_mimetype():
    from tthc import slicecache
    from tthc.engine import cube
    from tthc.render.layout import REPORT_MIMETYPE
    from tthc.report import context, data

    assert slicecache.CUBE_TABLES is cube.CUBE_TABLES and data.CUBE_TABLES is cube.CUBE_TABLES
    assert cube.CUBE_FILES == ("counts", "indicators", "bieu06", "index766", "index766_total", "indicators_tien_than")
    assert context.META_MIME is REPORT_MIMETYPE == "application/vnd.tthc.report+json"
