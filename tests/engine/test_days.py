"""The dossier-days pre-aggregate (``tthc.engine.days``): what it groups, and that the cube counts the same from
the stored table as from the dossiers row by row. (Ingest's refresh: tests/ingest/test_warehouse.py; the CLI's
``tthc cube --refresh``: tests/engine/test_exports.py; the event-vs-join property over the stored table:
test_events.py.)"""

from __future__ import annotations

import pandas as pd

from tthc.engine.targets import Rules

from engine_fixtures import make_con


def _prow(codes=("2025-02", "2025-03", "2025-Q1")):
    from tthc.periods import parse_period

    prow = []
    for w in ("calendar", "report"):
        for code in codes:
            a, b = parse_period(code).bounds(w)
            prow.append(dict(pkey=len(prow), period=code, window=w, a=a, b=b))
    return prow


def test_stored_pre_aggregate_equals_temporary(calendar):
    """The cube reads the stored dossier-days pre-aggregate when its stamp matches the dossier signature and builds a
    temporary one otherwise: both give the same counts; a change to the dossiers makes the stored one stale."""
    from engine_fixtures import ROWS

    from tthc.engine import days, events
    from tthc.warehouse import dossiers_signature

    rows = ROWS + [dict(ma_don_vi="X001", ngay_tiep_nhan="2025-03-04", ma_linh_vuc="LV1", ten_linh_vuc=None),
                   dict(ma_don_vi="X001", ngay_tiep_nhan="2025-02-04", ma_linh_vuc=" LV1 ", ten_linh_vuc="Khác")]
    con = make_con(rows)
    key = ["pkey", "unit", "ma_linh_vuc", "ten_linh_vuc"]
    t_cold: dict = {}
    cold = events.count_events(con, _prow(), calendar, Rules(), False, t_cold).sort_values(key).reset_index(drop=True)
    assert "days_temporary" in t_cold  # nothing stored yet
    sig = dossiers_signature(con)
    info = days.refresh(con, sig)
    assert info["rebuilt"] and 0 < info["rows"] <= len(rows)
    assert not days.refresh(con, sig)["rebuilt"]  # fresh: nothing to do
    assert days.ensure(con, sig) == (days.TABLE, False)
    t_warm: dict = {}
    warm = events.count_events(con, _prow(), calendar, Rules(), False, t_warm,
                               signature=sig).sort_values(key).reset_index(drop=True)
    assert "days_stored" in t_warm
    pd.testing.assert_frame_equal(cold, warm)
    x1 = warm[(warm["pkey"] == 1) & (warm["unit"] == "X001") & (warm["ma_linh_vuc"] == "LV1")]
    assert sorted(x1["ten_linh_vuc"].fillna("-")) == ["-", "Khác", "Lĩnh vực 1"]  # three names, one field
    # a changed dossier: the stored table no longer matches, so the cube reads the dossiers row by row
    con.execute("UPDATE dossiers SET kenh = CASE WHEN kenh = 2 THEN 1 ELSE 2 END WHERE ma_ho_so = 'HS0000'")
    sig2 = dossiers_signature(con)
    assert sig2 != sig and days.ensure(con, sig2) == (days.TEMP_VIEW, True)
    con.close()


def test_pre_aggregate_groups_interchangeable_dossiers(calendar):
    """Dossiers equal in everything the cube reads collapse into one row with their count and flag counts."""
    from tthc.engine import days

    same = dict(ma_don_vi="X001", ngay_tiep_nhan="2025-03-03 08:00:00", ngay_hen_tra="2025-03-10 17:00:00",
                ma_linh_vuc="LV1", ten_linh_vuc="Lĩnh vực 1", kenh=2)
    rows = [dict(same, ngay_tiep_nhan="2025-03-03 09:30:00", co_phieu_xin_loi=True), dict(same, co_phi=True),
            dict(same, kenh=1), dict(same, trang_thai=3)]  # status 3 is not counted
    con = make_con(rows)
    g = con.execute(days.days_sql(False)).df()
    assert len(g) == 1
    r = g.iloc[0]
    assert (r["n"], r["f_truc_tuyen"], r["f_xin_loi"], r["f_co_phi"]) == (3, 2, 1, 1)
    con.close()

