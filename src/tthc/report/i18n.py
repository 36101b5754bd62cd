"""Report text in Vietnamese (default) and English. Every visible string of a report comes from here."""

from __future__ import annotations

from ..periods import MONTHS_EN  # one home of the English month names

LANGS = ("vi", "en")

INDICATORS = {
    "vi": {
        "D1": "Tỷ lệ hồ sơ tiếp nhận trực tuyến",
        "D2": "Tỷ lệ hồ sơ thanh toán trực tuyến",
        "D3": "Tỷ lệ hồ sơ được số hóa",
        "D4": "Tỷ lệ kết quả giải quyết được số hóa",
        "D5": "Số hồ sơ quá hạn",
        "D6": "Tỷ lệ hồ sơ có phiếu đánh giá mức độ hài lòng",
        "D7": "Tỷ lệ hồ sơ khai thác, tái sử dụng dữ liệu số hóa",
        "D8": "Số hồ sơ trả lại cho công dân",
        "ON_TIME": "Tỷ lệ hồ sơ giải quyết đúng hạn",
        "BO_SUNG": "Tỷ lệ hồ sơ mới có yêu cầu bổ sung",
        "AVG_DAYS": "Thời gian giải quyết trung bình (ngày làm việc)",
        "DUE_SOON": "Hồ sơ sắp đến hạn (trong 2 ngày làm việc)",
        "OVERDUE_APOLOGY": "Hồ sơ quá hạn có phiếu xin lỗi",
        "OVERDUE_NO_APOLOGY": "Hồ sơ quá hạn không có phiếu xin lỗi",
    },
    "en": {
        "D1": "Dossiers received online",
        "D2": "Dossiers paid online",
        "D3": "Dossiers digitised",
        "D4": "Results issued electronically",
        "D5": "Overdue dossiers",
        "D6": "Dossiers with a satisfaction evaluation",
        "D7": "Dossiers reusing digitised data",
        "D8": "Dossiers returned to the applicant",
        "ON_TIME": "Dossiers resolved on time",
        "BO_SUNG": "New dossiers with a supplement request",
        "AVG_DAYS": "Average processing time (working days)",
        "DUE_SOON": "Dossiers falling due within 2 working days",
        "OVERDUE_APOLOGY": "Overdue dossiers with an apology letter",
        "OVERDUE_NO_APOLOGY": "Overdue dossiers without an apology letter",
    },
}

# Short labels for chart axes and wide tables.
SHORT = {
    "vi": {"D1": "D1 Trực tuyến", "D2": "D2 Thanh toán TT", "D3": "D3 Số hóa hồ sơ", "D4": "D4 Kết quả điện tử",
           "D5": "D5 Quá hạn", "D6": "D6 Đánh giá hài lòng", "D7": "D7 Tái sử dụng", "D8": "D8 Trả lại hồ sơ"},
    "en": {"D1": "D1 Online", "D2": "D2 Online payment", "D3": "D3 Digitised", "D4": "D4 E-results",
           "D5": "D5 Overdue", "D6": "D6 Satisfaction", "D7": "D7 Data reuse", "D8": "D8 Returned"},
}

STRINGS = {
    "vi": {
        "title_unit": "BÁO CÁO",
        "subject_unit": "Kết quả thực hiện các chỉ tiêu giải quyết thủ tục hành chính của {unit_name}, {period_label}",
        "subject_overview": "Tổng hợp kết quả giải quyết thủ tục hành chính của {unit_name} và các đơn vị trực thuộc, "
                            "{period_label}",
        "sec_header": "Thông tin chung",
        "sec_scorecard": "Kết quả thực hiện các chỉ tiêu theo Công văn 353/UBND-VP",
        "sec_scorecard_rules": "Kết quả thực hiện các chỉ tiêu giải quyết TTHC",
        "sec_trends": "Diễn biến 12 tháng gần nhất",
        "sec_bieu06": "Biểu số 06: Tình hình, kết quả giải quyết TTHC theo lĩnh vực",
        "sec_766": "Bộ chỉ số 766: điểm theo nhóm",
        "sec_portal": "Đối chiếu với Cổng DVCQG",
        "rules_version": "Phiên bản quy tắc Bộ chỉ số 766: {v}",
        "metric_code": "Mã chỉ tiêu", "metric_name": "Chỉ tiêu", "portal_score": "Điểm trên Cổng",
        "own_score": "Điểm theo hồ sơ", "rule_score": "Điểm theo quy tắc (số liệu Cổng)",
        "portal_nd": "Cổng: tử số / mẫu số", "own_nd": "Hồ sơ: tử số / mẫu số",
        "diff_dossiers": "Chênh lệch (hồ sơ, tử số / mẫu số)", "explain": "Hồ sơ giải thích chênh lệch",
        "and_more": "và {n} hồ sơ khác",
        "portal_note": "Số liệu Cổng DVCQG do đơn vị nhập (tthc portal import); chênh lệch = hồ sơ của đơn vị − "
                       "Cổng. Hồ sơ chỉ nêu mã hồ sơ.",
        "metrics_766": "Các chỉ tiêu theo mã của Cổng DVCQG",
        "sec_dossiers": "Hồ sơ quá hạn và sắp đến hạn",
        "sec_quality": "Ghi chú về chất lượng dữ liệu",
        "sec_league": "Bảng xếp hạng các đơn vị theo chỉ tiêu D1–D8",
        "sec_targets_met": "Số đơn vị đạt từng chỉ tiêu",
        "sec_rank766": "Xếp hạng theo điểm Bộ chỉ số 766",
        "sec_bieu06_levels": "Biểu số 06 tổng hợp theo cấp và lĩnh vực",
        "sec_behind": "Các đơn vị còn cách xa chỉ tiêu nhất",
        "unit": "Đơn vị", "code": "Mã", "level": "Cấp", "parent": "Đơn vị cấp trên", "period": "Kỳ báo cáo",
        "window": "Cách tính kỳ", "window_calendar": "theo tháng dương lịch (như Bộ chỉ số 766)",
        "window_report": "theo kỳ báo cáo thống kê (ngày 15 tháng trước đến ngày 14, Nghị định 09/2019/NĐ-CP)",
        "from_to": "từ ngày {a} đến ngày {b}",
        "source": "Nguồn dữ liệu", "data_hash": "Mã băm nội dung dữ liệu", "generated": "Thời điểm lập",
        "version": "Phiên bản phần mềm", "synthetic": "DỮ LIỆU MẪU – mô phỏng, không phải số liệu thật",
        "indicator": "Chỉ tiêu", "value": "Kết quả", "target": "Chỉ tiêu giao", "status": "Đánh giá",
        "gap": "Số hồ sơ còn thiếu", "change": "So với kỳ trước", "rank": "Xếp hạng",
        "change_pp": "So với kỳ trước (điểm %; D5: hồ sơ)",
        "numerator": "Tử số", "denominator": "Mẫu số",
        "dat": "Đạt", "chua_dat": "Chưa đạt", "nodata": "Không có dữ liệu",
        "rank_of": "{rank}/{peers}",
        "extra_title": "Chỉ số theo dõi (không giao chỉ tiêu)",
        "month": "Tháng", "rate_axis": "Tỷ lệ (%)", "count_axis": "Số hồ sơ", "target_line": "Chỉ tiêu",
        "predecessors": "Đơn vị tiền thân",
        "trend_predecessors": "Các tháng trước ngày {d}: số liệu tổng hợp của đơn vị tiền thân ({units}).",
        "targets_cited": "Chỉ tiêu áp dụng (văn bản còn hiệu lực với đơn vị tại ngày cuối kỳ): {items}.",
        "targets_unverified": "Chỉ tiêu đánh dấu \u201cchưa kiểm chứng\u201d cần được kiểm tra với văn bản gốc trước khi sử dụng.",
        "sec_reception": "Tiếp nhận không phụ thuộc địa giới hành chính",
        "reception_for_others": "Hồ sơ đơn vị tiếp nhận hộ đơn vị khác",
        "reception_by_others": "Hồ sơ đơn vị giải quyết do đơn vị khác tiếp nhận",
        "reception_note": "Hồ sơ mới tiếp nhận trong kỳ; hồ sơ được tính cho đơn vị xử lý (Nghị định 118/2025/NĐ-CP).",
        "reception_flows": "Các luồng tiếp nhận hộ lớn nhất (nơi tiếp nhận → đơn vị giải quyết)",
        "receiving_unit": "Nơi tiếp nhận", "processing_unit": "Đơn vị giải quyết", "dossiers": "Số hồ sơ",
        "trends_title": "{ind}",
        "scorecard_chart_title": "Kết quả so với chỉ tiêu, {period_label}",
        "heatmap_title": "Mức độ đạt chỉ tiêu theo đơn vị, {period_label}",
        "heatmap_cbar": "Kết quả so với chỉ tiêu (%)",
        "bars766_title": "Bộ chỉ số 766: điểm đạt so với điểm tối đa theo nhóm",
        "points": "Điểm", "score_pct": "Tỷ lệ điểm đạt", "score": "Điểm đạt", "max_points": "Điểm tối đa", "computable": "Điểm có dữ liệu",
        "group": "Nhóm", "item": "Tiêu chí", "note": "Ghi chú", "band": "Xếp loại",
        "band_assumed": "(ngưỡng xếp loại giả định, chưa được công bố chính thức)",
        "score_over": "{score} / {max} điểm có dữ liệu",
        "as_observed": "Cách tính điểm theo quy tắc quan sát được trên Cổng Dịch vụ công quốc gia (phụ lục của "
                       "Quyết định 766/QĐ-TTg chưa được công bố); điểm, ngưỡng và xếp loại lấy từ tệp cấu hình.",
        "not_computable": "không đủ dữ liệu",
        "computable_share": "Tỷ lệ điểm tính được: {share}",
        "overdue": "Hồ sơ quá hạn", "due_soon": "Hồ sơ sắp đến hạn",
        "ma_ho_so": "Mã hồ sơ", "ma_tthc": "Mã TTHC", "ten_tthc": "Tên thủ tục hành chính",
        "ngay_hen_tra": "Ngày hẹn trả", "so_ngay_tre": "Số ngày làm việc trễ hạn",
        "co_phieu_xin_loi": "Phiếu xin lỗi", "yes": "Có", "no": "Không",
        "none_overdue": "Không có hồ sơ quá hạn trong kỳ.", "none_due_soon": "Không có hồ sơ sắp đến hạn.",
        "more_rows": "… và {n} hồ sơ khác (danh sách đầy đủ trong tệp Excel kèm theo).",
        "no_personal": "Hồ sơ chỉ được nêu bằng mã hồ sơ; không hiển thị thông tin cá nhân.",
        "dq_item": "Nội dung", "dq_count": "Số lượng",
        "dq_none": "Không phát hiện vấn đề về chất lượng dữ liệu cho đơn vị này.",
        "stt": "STT", "field": "Lĩnh vực, công việc giải quyết theo cấp", "unknown_field": "Chưa xác định lĩnh vực",
        "total": "Tổng cộng", "unit_count": "Đơn vị tính: Số hồ sơ TTHC",
        "b_received": "Số hồ sơ nhận giải quyết", "b_resolved": "Số hồ sơ đã giải quyết",
        "b_pending": "Số hồ sơ đang giải quyết", "b_total": "Tổng số", "b_online": "Trực tuyến",
        "b_direct": "Trực tiếp, dịch vụ bưu chính", "b_carried": "Từ kỳ trước", "b_early": "Trả trước hạn",
        "b_ontime": "Trả đúng thời hạn", "b_late": "Trả quá hạn", "b_within": "Trong hạn", "b_overdue": "Quá hạn",
        "b_of_which": "Trong đó",
        "units_meeting": "Số đơn vị đạt", "units_total": "Số đơn vị có dữ liệu", "share_meeting": "Tỷ lệ đạt",
        "total_gap": "Tổng số hồ sơ còn thiếu", "targets_missed": "Số chỉ tiêu chưa đạt",
        "window_note": "Số liệu tính {window_text}: {from_to}.",
        "no_children": "Đơn vị không có đơn vị trực thuộc có dữ liệu trong kỳ.",
        "legend_status": "Màu ô: xanh = Đạt, đỏ = Chưa đạt, xám = Không có dữ liệu.",
        "d5_rate": "tỷ lệ quá hạn {rate}",
        "heat_note": "Ô ghi kết quả; màu theo mức đạt so với chỉ tiêu (D5: 100% khi không có hồ sơ quá hạn).",
        "canonical": "Giá trị chỉ tiêu (dạng văn bản, dùng để kiểm tra)",
        "no_data_unit": "Đơn vị không có hồ sơ nào được tính trong kỳ báo cáo.",
    },
    "en": {
        "title_unit": "REPORT",
        "subject_unit": "Performance on administrative-procedure targets of {unit_name}, {period_label}",
        "subject_overview": "Administrative-procedure performance of {unit_name} and its units, {period_label}",
        "sec_header": "General information",
        "sec_scorecard": "Targets of dispatch 353/UBND-VP",
        "sec_scorecard_rules": "Targets on administrative procedures",
        "sec_trends": "Last 12 months",
        "sec_bieu06": "Form 06: dossiers handled by field",
        "sec_766": "Index 766: score by group",
        "sec_portal": "Reconciliation with the national portal (DVCQG)",
        "rules_version": "766 rules version: {v}",
        "metric_code": "Metric code", "metric_name": "Metric", "portal_score": "Portal score",
        "own_score": "Own score", "rule_score": "Rule on portal figures",
        "portal_nd": "Portal: numerator / denominator", "own_nd": "Dossiers: numerator / denominator",
        "diff_dossiers": "Difference (dossiers, numerator / denominator)", "explain": "Dossiers explaining it",
        "and_more": "and {n} more",
        "portal_note": "Portal figures imported by the office (tthc portal import); difference = own dossiers − "
                       "portal. Dossiers are identified by code only.",
        "metrics_766": "Metrics by the portal's codes",
        "sec_dossiers": "Overdue and due-soon dossiers",
        "sec_quality": "Data quality notes",
        "sec_league": "League table of units on targets D1–D8",
        "sec_targets_met": "Units meeting each target",
        "sec_rank766": "Ranking by Index 766 score",
        "sec_bieu06_levels": "Form 06 aggregated by level and field",
        "sec_behind": "Units furthest behind the targets",
        "unit": "Unit", "code": "Code", "level": "Level", "parent": "Parent unit", "period": "Period",
        "window": "Period window", "window_calendar": "calendar months (as the 766 index counts)",
        "window_report": "statutory reporting window (15th of the previous month to the 14th, Decree 09/2019)",
        "from_to": "from {a} to {b}",
        "source": "Data source", "data_hash": "Data content hash", "generated": "Generated",
        "version": "Software version", "synthetic": "SAMPLE DATA – simulated, not real figures",
        "indicator": "Indicator", "value": "Value", "target": "Target", "status": "Status",
        "gap": "Dossiers missing", "change": "Change vs previous period", "rank": "Rank",
        "change_pp": "Change vs previous period (pp; D5: dossiers)",
        "numerator": "Numerator", "denominator": "Denominator",
        "dat": "Met", "chua_dat": "Not met", "nodata": "No data",
        "rank_of": "{rank}/{peers}",
        "extra_title": "Monitoring indicators (no target)",
        "month": "Month", "rate_axis": "Rate (%)", "count_axis": "Dossiers", "target_line": "Target",
        "predecessors": "Predecessor units",
        "trend_predecessors": "Months before {d}: aggregate of the predecessor units ({units}).",
        "targets_cited": "Targets applied (rules in force for the unit at the period end): {items}.",
        "targets_unverified": "Targets marked \u201cunverified\u201d must be checked against the original document before use.",
        "sec_reception": "Reception regardless of administrative boundary",
        "reception_for_others": "Dossiers received here for other units",
        "reception_by_others": "Dossiers processed here that other units received",
        "reception_note": "New dossiers received in the period; a dossier counts for its processing unit (Decree 118/2025/NĐ-CP).",
        "reception_flows": "Largest reception flows (receiving unit → processing unit)",
        "receiving_unit": "Received at", "processing_unit": "Processed by", "dossiers": "Dossiers",
        "trends_title": "{ind}",
        "scorecard_chart_title": "Results against targets, {period_label}",
        "heatmap_title": "Attainment by unit, {period_label}",
        "heatmap_cbar": "Result relative to target (%)",
        "bars766_title": "Index 766: points scored vs maximum by group",
        "points": "Points", "score_pct": "Score share", "score": "Score", "max_points": "Maximum", "computable": "Computable points",
        "group": "Group", "item": "Item", "note": "Note", "band": "Band",
        "band_assumed": "(assumed band thresholds, not officially published)",
        "score_over": "{score} / {max} computable points",
        "as_observed": "Scored with the rules the National Public Service Portal is observed to apply (the appendix "
                       "of Decision 766/QĐ-TTg is not published); points, thresholds and bands come from a "
                       "configuration file.",
        "not_computable": "insufficient data",
        "computable_share": "Share of points computable: {share}",
        "overdue": "Overdue dossiers", "due_soon": "Dossiers falling due soon",
        "ma_ho_so": "Dossier code", "ma_tthc": "Procedure code", "ten_tthc": "Procedure",
        "ngay_hen_tra": "Due date", "so_ngay_tre": "Working days late",
        "co_phieu_xin_loi": "Apology letter", "yes": "Yes", "no": "No",
        "none_overdue": "No overdue dossiers in the period.", "none_due_soon": "No dossiers falling due soon.",
        "more_rows": "… and {n} more dossiers (full list in the attached Excel file).",
        "no_personal": "Dossiers are identified by code only; no personal data is shown.",
        "dq_item": "Item", "dq_count": "Count",
        "dq_none": "No data-quality problems found for this unit.",
        "stt": "No.", "field": "Field, by level", "unknown_field": "Unknown field",
        "total": "Total", "unit_count": "Unit: number of dossiers",
        "b_received": "Dossiers to resolve", "b_resolved": "Dossiers resolved",
        "b_pending": "Dossiers pending", "b_total": "Total", "b_online": "Online",
        "b_direct": "In person, postal", "b_carried": "Carried over", "b_early": "Early",
        "b_ontime": "On time", "b_late": "Late", "b_within": "Within deadline", "b_overdue": "Overdue",
        "b_of_which": "Of which",
        "units_meeting": "Units meeting", "units_total": "Units with data", "share_meeting": "Share meeting",
        "total_gap": "Total dossiers missing", "targets_missed": "Targets not met",
        "window_note": "Figures computed on {window_text}: {from_to}.",
        "no_children": "The unit has no subordinate units with data in the period.",
        "legend_status": "Cell colour: green = met, red = not met, grey = no data.",
        "d5_rate": "overdue rate {rate}",
        "heat_note": "Cells show the value; colour is attainment relative to the target (D5: 100% when none overdue).",
        "canonical": "Indicator values (plain text, for checking)",
        "no_data_unit": "The unit has no dossier counted in the period.",
    },
}

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def t(key: str, lang: str = "vi", **kw) -> str:
    s = STRINGS[lang][key]
    return s.format(**kw) if kw else s


def indicator_name(code: str, lang: str = "vi") -> str:
    if code in INDICATORS[lang]:
        return INDICATORS[lang][code]
    if code.startswith("766_"):
        return code[4:]
    return code


def short_name(code: str, lang: str = "vi") -> str:
    return SHORT[lang].get(code, code)


def status_label(status, lang: str = "vi") -> str:
    return t(status_key(status), lang)


def status_key(status) -> str:
    """Normalise the engine's status to one of dat / chua_dat / nodata (also the CSS class, with '-')."""
    s = str(status or "").strip().lower().replace(" ", "_").replace("-", "_")
    if s in ("dat", "đạt", "met", "true", "1"):
        return "dat"
    if s in ("chua_dat", "chưa_đạt", "not_met", "false", "0"):
        return "chua_dat"
    return "nodata"


def period_label(period, lang: str = "vi") -> str:
    """'Quý I năm 2025', 'Tháng 3 năm 2025', '6 tháng đầu năm 2025', '9 tháng năm 2025', 'Năm 2025'."""
    from ..periods import parse_period

    p = parse_period(period) if isinstance(period, str) else period
    if lang == "vi":
        if p.kind == "M":
            return f"Tháng {p.first_month} năm {p.year}"
        if p.kind == "Q":
            return f"Quý {ROMAN[p.number]} năm {p.year}"
        if p.kind == "H":
            return f"6 tháng {'đầu' if p.number == 1 else 'cuối'} năm {p.year}"
        if p.kind == "9M":
            return f"9 tháng năm {p.year}"
        return f"Năm {p.year}"
    if p.kind == "M":
        return f"{MONTHS_EN[p.first_month - 1]} {p.year}"
    if p.kind == "Q":
        return f"Q{p.number} {p.year}"
    if p.kind == "H":
        return f"H{p.number} {p.year}"
    if p.kind == "9M":
        return f"First nine months of {p.year}"
    return f"Year {p.year}"


def month_label(p, lang: str = "vi") -> str:
    """Axis label of a month: '03/2025'."""
    return f"{p.first_month:02d}/{p.year}"


BANDS_EN = {"Xuất sắc": "Excellent", "Tốt": "Good", "Khá": "Fair", "Trung bình": "Average", "Yếu": "Weak"}


GROUPS_EN = {"Công khai, minh bạch": "Publicity and transparency", "Tiến độ giải quyết": "Timeliness",
             "Dịch vụ công trực tuyến": "Online public services", "Thanh toán trực tuyến": "Online payment",
             "Số hóa hồ sơ": "Digitisation", "Mức độ hài lòng": "Satisfaction"}


def group_label(name, lang: str = "vi") -> str:
    """766 group name as configured (Vietnamese), translated for English reports."""
    n = "" if name is None else str(name)
    return GROUPS_EN.get(n, n) if lang == "en" else n


def band_label(band, lang: str = "vi") -> str:
    """766 rating band as configured (Vietnamese), translated for English reports."""
    b = "" if band is None else str(band)
    return BANDS_EN.get(b, b) if lang == "en" else b


def level_name(level: str, lang: str = "vi") -> str:
    from ..units import LEVEL_NAMES_EN, LEVEL_NAMES_VI

    return (LEVEL_NAMES_VI if lang == "vi" else LEVEL_NAMES_EN).get(level, level)
