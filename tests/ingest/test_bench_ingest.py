"""The ingest benchmark's arithmetic and its export file (tthc bench --part ingest)."""

from __future__ import annotations

import csv

import pytest

from tthc.bench import ingest as B
from tthc.bench.ingest_file import BAD_KINDS, TITLE_ROWS, write_export_csv
from tthc.ingest.sources import load_source


def test_ratio_goals_and_idle_estimate():
    assert B.ratio(12.0, 3.0) == 4.0
    assert B.ratio(5.0, 2.0) == 2.5
    with pytest.raises(ValueError):
        B.ratio(1.0, 0.0)
    assert B.goals(9.9, 1000.0) == {"seconds_le_10": True, "rss_le_1gib": True}
    assert B.goals(10.5, 1025.0) == {"seconds_le_10": False, "rss_le_1gib": False}
    assert B.idle_seconds(20.0, 2, 0.6) == pytest.approx(14.0)  # 8 s on one core + 12 s on two
    assert B.idle_seconds(10.0, 2, 1.0) == pytest.approx(5.0)


def test_bench_part_is_registered_and_runs_by_default():
    from tthc.commands import bench

    assert bench.PARTS["ingest"] is bench.run_ingest and "ingest" in bench.DEFAULT_PARTS


def test_export_file_has_the_map_headers_personal_columns_and_bad_rows(tmp_path):
    f = tmp_path / "e.csv"
    kinds = write_export_csv(f, 400, seed=3, bad_share=0.1)
    assert sum(kinds.values()) == 40 and set(kinds) == set(BAD_KINDS)
    raw = f.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # UTF-8 with BOM, CRLF like a Windows export
    with f.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert [r[0] for r in rows[:2]] == list(TITLE_ROWS)
    sm = load_source("motcua_hd")
    head = rows[2]
    assert set(sm.fields) | set(sm.drop) == set(head) and head[1:6] == list(sm.drop)
    assert len(rows) == 3 + 400 and all(len(r) == len(head) for r in rows[3:])
