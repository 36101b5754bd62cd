"""``tthc ingest`` on the command line: one summary line per file, errors as one line with exit code 2."""

from __future__ import annotations

from tthc.cli import main

from ingest_helpers import BAD, UNITS, dossier, write_json


def test_cli_summary_and_error(tmp_path, capsys):
    wh = tmp_path / "w" / "wh.duckdb"
    f = write_json(tmp_path / "a.json", [dossier("A"), dossier("B", KenhThucHien=9)])
    rc = main(["ingest", str(f), "--warehouse", str(wh), "--units", str(UNITS)])
    out = capsys.readouterr().out.strip()
    assert rc == 0
    assert out == (f"{f}: read 2, stored 1 (new 1, replaced 0, unchanged 0), quarantined 1 → "
                   f"{wh.parent / 'quarantine' / '00001-a.csv'}")
    assert main(["ingest", str(f), "--warehouse", str(wh)]) == 0
    assert "already ingested" in capsys.readouterr().out
    rc = main(["ingest", str(BAD / "empty.csv"), "--warehouse", str(wh)])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err == f"tthc ingest: error: {BAD / 'empty.csv'}: the file is empty (0 bytes); export it again"
