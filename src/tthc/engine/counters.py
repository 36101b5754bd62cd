"""The cube's counters, defined once: counter name → SQL aggregate over ``tthc_cls`` (one row per period × counted
dossier). :mod:`tthc.engine.cube` (SQL path) and :mod:`tthc.engine.events` (pre-aggregated path) both take them
from here."""

from __future__ import annotations

# counter → SQL aggregate over tthc_cls (one row per period × counted dossier)
COUNTERS: dict[str, str] = {
    "n_tong": "count(*)",
    "n_moi": "count(*) FILTER (NOT ky_truoc)",
    "n_moi_truc_tuyen": "count(*) FILTER (NOT ky_truoc AND kenh = 2)",
    "n_moi_truc_tiep": "count(*) FILTER (NOT ky_truoc AND (kenh IS NULL OR kenh <> 2))",
    "n_ky_truoc": "count(*) FILTER (ky_truoc)",
    "n_da_gq": "count(*) FILTER (da_giai_quyet)",
    "n_truoc_han": "count(*) FILTER (da_giai_quyet AND tien_do = 'truoc_han')",
    "n_dung_han": "count(*) FILTER (da_giai_quyet AND tien_do = 'dung_han')",
    "n_qua_han_gq": "count(*) FILTER (da_giai_quyet AND tien_do = 'qua_han')",
    "n_dang_gq": "count(*) FILTER (NOT da_giai_quyet)",
    "n_trong_han": "count(*) FILTER (NOT da_giai_quyet AND tien_do = 'trong_han')",
    "n_qua_han_dang": "count(*) FILTER (NOT da_giai_quyet AND tien_do = 'qua_han')",
    "n_moi_co_phi": "count(*) FILTER (NOT ky_truoc AND co_phi)",
    "n_moi_co_phi_tt": "count(*) FILTER (NOT ky_truoc AND co_phi AND tt_truc_tuyen)",
    "n_moi_so_hoa": "count(*) FILTER (NOT ky_truoc AND so_hoa)",
    "n_moi_tai_su_dung": "count(*) FILTER (NOT ky_truoc AND tai_su_dung)",
    "n_moi_tu_kho": "count(*) FILTER (NOT ky_truoc AND tu_kho)",
    "n_moi_truc_tuyen_kq": "count(*) FILTER (NOT ky_truoc AND kenh = 2 AND (NOT yeu_cau_giay OR kq_dien_tu))",
    "n_moi_kq_dien_tu": "count(*) FILTER (NOT ky_truoc AND kq_dien_tu)",
    "n_moi_hai_long": "count(*) FILTER (NOT ky_truoc AND hai_long)",
    "n_moi_bo_sung": "count(*) FILTER (NOT ky_truoc AND co_bo_sung)",
    "n_gq_dung": "count(*) FILTER (da_giai_quyet AND dung_xu_ly)",
    "n_gq_kq_dien_tu": "count(*) FILTER (da_giai_quyet AND kq_dien_tu)",
    "n_gq_danh_gia": "count(*) FILTER (da_giai_quyet AND co_danh_gia)",
    "n_qua_han_xin_loi": "count(*) FILTER (tien_do = 'qua_han' AND xin_loi)",
    "n_qua_han_khong_xin_loi": "count(*) FILTER (tien_do = 'qua_han' AND NOT xin_loi)",
    "n_sap_den_han": "count(*) FILTER (NOT da_giai_quyet AND tien_do = 'trong_han' AND due <= b_soon)",
    "sum_ngay_gq": "coalesce(sum(r_end - r_recv) FILTER (da_giai_quyet AND r_end IS NOT NULL AND r_recv IS NOT NULL), 0)",
    "n_ngay_gq": "count(*) FILTER (da_giai_quyet AND r_end IS NOT NULL AND r_recv IS NOT NULL)",
    "n_dong_bo": "count(*) FILTER (dong_bo)",
    "n_khong_hai_long": "count(*) FILTER (khong_hai_long)",
    "n_han_tinh_lai": "count(*) FILTER (recomputed)",
    "n_khong_co_han": "count(*) FILTER (no_due)",
    "n_ngay_bat_thuong": "count(*) FILTER (inconsistent)",
}
