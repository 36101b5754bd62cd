"""``tthc ingest`` on the command line: one summary line per file, errors as one line with exit code 2."""

from __future__ import annotations

from tthc.cli import main

from ingest_helpers import BAD, UNITS, dossier, write_json


def test_cli_summary_and_error(tmp_path, capsys):
    wh = tmp_path / "w" / "wh.duckdb"
    f = write_json(tmp_path / "a.json", [dossier("A"), dossier("B", KenhThucHien=9)])
    # these dossiers carry no fee, digitisation, e-result, evaluation or reuse data: refused, nothing stored
    rc = main(["ingest", str(f), "--warehouse", str(wh), "--units", str(UNITS)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "\n" not in err
    assert err.startswith(f"tthc ingest: error: {f}: field(s) the indicators need are empty on every row: "
                          "co_phi (D2); thanh_toan_truc_tuyen (D2); so_hoa_ho_so (D3); ket_qua_dien_tu (D4); "
                          "co_danh_gia (D6); tai_su_dung (D7). Map the column")
    assert "--allow-missing" in err
    rc = main(["ingest", str(f), "--warehouse", str(wh), "--units", str(UNITS), "--allow-missing"])
    out = capsys.readouterr().out.strip()
    assert rc == 0
    assert out.startswith(f"{f}: read 2, stored 1 (new 1, replaced 0, unchanged 0), quarantined 1 → "
                          f"{wh.parent / 'quarantine' / '00002-a.csv'}; fields empty on every row: ")
    assert "\n" not in out and out.endswith("ngay_yeu_cau_bo_sung, ngay_hoan_thanh_bo_sung, han_da_doi, co_phieu_xin_loi, "
                                        "co_phi, thanh_toan_truc_tuyen, so_hoa_ho_so, ket_qua_dien_tu, tai_su_dung, "
                                        "tu_kho_du_lieu, dong_bo_dvcqg, co_danh_gia, muc_hai_long, thoi_han_gq")
    assert main(["ingest", str(f), "--warehouse", str(wh)]) == 0
    assert "already ingested" in capsys.readouterr().out
    rc = main(["ingest", str(BAD / "empty.csv"), "--warehouse", str(wh)])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err == f"tthc ingest: error: {BAD / 'empty.csv'}: the file is empty (0 bytes); export it again"
