"""Report text in Vietnamese (default) and English. Every visible string of a report comes from here."""

from __future__ import annotations

from ..periods import MONTHS_EN  # one home of the English month names

LANGS = ("vi", "en")


def _by_lang(table: dict[str, tuple[str, str]]) -> dict[str, dict[str, str]]:
    """``{key: (vi, en)}`` → ``{"vi": {key: vi}, "en": {key: en}}``: each text written once, its two languages side
    by side (so a key cannot be missing in one language)."""
    return {lang: {k: v[i] for k, v in table.items()} for i, lang in enumerate(LANGS)}


INDICATORS = _by_lang({
    "D1": ("Tỷ lệ hồ sơ tiếp nhận trực tuyến", "Dossiers received online"),
    "D2": ("Tỷ lệ hồ sơ thanh toán trực tuyến", "Dossiers paid online"),
    "D3": ("Tỷ lệ hồ sơ được số hóa", "Dossiers digitised"),
    "D4": ("Tỷ lệ kết quả giải quyết được số hóa", "Results issued electronically"),
    "D5": ("Số hồ sơ quá hạn", "Overdue dossiers"),
    "D6": ("Tỷ lệ hồ sơ có phiếu đánh giá mức độ hài lòng", "Dossiers with a satisfaction evaluation"),
    "D7": ("Tỷ lệ hồ sơ khai thác, tái sử dụng dữ liệu số hóa", "Dossiers reusing digitised data"),
    "D8": ("Số hồ sơ trả lại cho công dân", "Dossiers returned to the applicant"),
    "ON_TIME": ("Tỷ lệ hồ sơ giải quyết đúng hạn", "Dossiers resolved on time"),
    "BO_SUNG": ("Tỷ lệ hồ sơ mới có yêu cầu bổ sung", "New dossiers with a supplement request"),
    "AVG_DAYS": ("Thời gian giải quyết trung bình (ngày làm việc)", "Average processing time (working days)"),
    "DUE_SOON": ("Hồ sơ sắp đến hạn (trong 2 ngày làm việc)", "Dossiers falling due within 2 working days"),
    "OVERDUE_APOLOGY": ("Hồ sơ quá hạn có phiếu xin lỗi", "Overdue dossiers with an apology letter"),
    "OVERDUE_NO_APOLOGY": ("Hồ sơ quá hạn không có phiếu xin lỗi", "Overdue dossiers without an apology letter"),
})

# Short labels for chart axes and wide tables.
SHORT = _by_lang({
    "D1": ("D1 Trực tuyến", "D1 Online"),
    "D2": ("D2 Thanh toán TT", "D2 Online payment"),
    "D3": ("D3 Số hóa hồ sơ", "D3 Digitised"),
    "D4": ("D4 Kết quả điện tử", "D4 E-results"),
    "D5": ("D5 Quá hạn", "D5 Overdue"),
    "D6": ("D6 Đánh giá hài lòng", "D6 Satisfaction"),
    "D7": ("D7 Tái sử dụng", "D7 Data reuse"),
    "D8": ("D8 Trả lại hồ sơ", "D8 Returned"),
})

STRINGS = _by_lang({
    "title_unit": ("BÁO CÁO", "REPORT"),
    "subject_unit": ("Kết quả thực hiện các chỉ tiêu giải quyết thủ tục hành chính của {unit_name}, {period_label}",
                     "Performance on administrative-procedure targets of {unit_name}, {period_label}"),
    "subject_overview": ("Tổng hợp kết quả giải quyết thủ tục hành chính của {unit_name} và các đơn vị trực thuộc, "
                         "{period_label}",
                         "Administrative-procedure performance of {unit_name} and its units, {period_label}"),
    "sec_header": ("Thông tin chung", "General information"),
    "sec_scorecard": ("Kết quả thực hiện các chỉ tiêu theo Công văn 353/UBND-VP", "Targets of dispatch 353/UBND-VP"),
    "sec_scorecard_rules": ("Kết quả thực hiện các chỉ tiêu giải quyết TTHC", "Targets on administrative procedures"),
    "sec_trends": ("Diễn biến 12 tháng gần nhất", "Last 12 months"),
    "sec_bieu06": ("Biểu số 06: Tình hình, kết quả giải quyết TTHC theo lĩnh vực",
                   "Form 06: dossiers handled by field"),
    "sec_766": ("Bộ chỉ số 766: điểm theo nhóm", "Index 766: score by group"),
    "sec_portal": ("Đối chiếu với Cổng DVCQG", "Reconciliation with the national portal (DVCQG)"),
    "rules_version": ("Phiên bản quy tắc Bộ chỉ số 766: {v}", "766 rules version: {v}"),
    "metric_code": ("Mã chỉ tiêu", "Metric code"),
    "metric_name": ("Chỉ tiêu", "Metric"),
    "portal_score": ("Điểm trên Cổng", "Portal score"),
    "own_score": ("Điểm theo hồ sơ", "Own score"),
    "rule_score": ("Điểm theo quy tắc (số liệu Cổng)", "Rule on portal figures"),
    "portal_nd": ("Cổng: tử số / mẫu số", "Portal: numerator / denominator"),
    "own_nd": ("Hồ sơ: tử số / mẫu số", "Dossiers: numerator / denominator"),
    "diff_dossiers": ("Chênh lệch (hồ sơ, tử số / mẫu số)", "Difference (dossiers, numerator / denominator)"),
    "explain": ("Hồ sơ giải thích chênh lệch", "Dossiers explaining it"),
    "and_more": ("và {n} hồ sơ khác", "and {n} more"),
    "portal_note": ("Số liệu Cổng DVCQG do đơn vị nhập (tthc portal import); chênh lệch = hồ sơ của đơn vị − Cổng. "
                    "Hồ sơ chỉ nêu mã hồ sơ.",
                    "Portal figures imported by the office (tthc portal import); difference = own dossiers − "
                    "portal. Dossiers are identified by code only."),
    "metrics_766": ("Các chỉ tiêu theo mã của Cổng DVCQG", "Metrics by the portal's codes"),
    "sec_dossiers": ("Hồ sơ quá hạn và sắp đến hạn", "Overdue and due-soon dossiers"),
    "sec_quality": ("Ghi chú về chất lượng dữ liệu", "Data quality notes"),
    "sec_league": ("Bảng xếp hạng các đơn vị theo chỉ tiêu D1–D8", "League table of units on targets D1–D8"),
    "sec_targets_met": ("Số đơn vị đạt từng chỉ tiêu", "Units meeting each target"),
    "sec_rank766": ("Xếp hạng theo điểm Bộ chỉ số 766", "Ranking by Index 766 score"),
    "sec_bieu06_levels": ("Biểu số 06 tổng hợp theo cấp và lĩnh vực", "Form 06 aggregated by level and field"),
    "sec_behind": ("Các đơn vị còn cách xa chỉ tiêu nhất", "Units furthest behind the targets"),
    "unit": ("Đơn vị", "Unit"),
    "code": ("Mã", "Code"),
    "level": ("Cấp", "Level"),
    "parent": ("Đơn vị cấp trên", "Parent unit"),
    "period": ("Kỳ báo cáo", "Period"),
    "window": ("Cách tính kỳ", "Period window"),
    "window_calendar": ("theo tháng dương lịch (như Bộ chỉ số 766)", "calendar months (as the 766 index counts)"),
    "window_report": ("theo kỳ báo cáo thống kê (ngày 15 tháng trước đến ngày 14, Nghị định 09/2019/NĐ-CP)",
                      "statutory reporting window (15th of the previous month to the 14th, Decree 09/2019)"),
    "from_to": ("từ ngày {a} đến ngày {b}", "from {a} to {b}"),
    "source": ("Nguồn dữ liệu", "Data source"),
    "data_hash": ("Mã băm nội dung dữ liệu", "Data content hash"),
    "generated": ("Thời điểm lập", "Generated"),
    "version": ("Phiên bản phần mềm", "Software version"),
    "synthetic": ("DỮ LIỆU MẪU – mô phỏng, không phải số liệu thật", "SAMPLE DATA – simulated, not real figures"),
    "indicator": ("Chỉ tiêu", "Indicator"),
    "value": ("Kết quả", "Value"),
    "target": ("Chỉ tiêu giao", "Target"),
    "status": ("Đánh giá", "Status"),
    "gap": ("Số hồ sơ còn thiếu", "Dossiers missing"),
    "change": ("So với kỳ trước", "Change vs previous period"),
    "rank": ("Xếp hạng", "Rank"),
    "change_pp": ("So với kỳ trước (điểm %; D5: hồ sơ)", "Change vs previous period (pp; D5: dossiers)"),
    "numerator": ("Tử số", "Numerator"),
    "denominator": ("Mẫu số", "Denominator"),
    "dat": ("Đạt", "Met"),
    "chua_dat": ("Chưa đạt", "Not met"),
    "nodata": ("Không có dữ liệu", "No data"),
    "rank_of": ("{rank}/{peers}", "{rank}/{peers}"),
    "extra_title": ("Chỉ số theo dõi (không giao chỉ tiêu)", "Monitoring indicators (no target)"),
    "month": ("Tháng", "Month"),
    "rate_axis": ("Tỷ lệ (%)", "Rate (%)"),
    "count_axis": ("Số hồ sơ", "Dossiers"),
    "target_line": ("Chỉ tiêu", "Target"),
    "predecessors": ("Đơn vị tiền thân", "Predecessor units"),
    "trend_predecessors": ("Các tháng trước ngày {d}: số liệu tổng hợp của đơn vị tiền thân ({units}).",
                           "Months before {d}: aggregate of the predecessor units ({units})."),
    "targets_cited": ("Chỉ tiêu áp dụng (văn bản còn hiệu lực với đơn vị tại ngày cuối kỳ): {items}.",
                      "Targets applied (rules in force for the unit at the period end): {items}."),
    "targets_unverified": ("Chỉ tiêu đánh dấu “chưa kiểm chứng” cần được kiểm tra với văn bản gốc trước khi sử dụng.",
                           "Targets marked “unverified” must be checked against the original document before use."),
    "sec_reception": ("Tiếp nhận không phụ thuộc địa giới hành chính",
                      "Reception regardless of administrative boundary"),
    "reception_for_others": ("Hồ sơ đơn vị tiếp nhận hộ đơn vị khác", "Dossiers received here for other units"),
    "reception_by_others": ("Hồ sơ đơn vị giải quyết do đơn vị khác tiếp nhận",
                            "Dossiers processed here that other units received"),
    "reception_note": ("Hồ sơ mới tiếp nhận trong kỳ; hồ sơ được tính cho đơn vị xử lý (Nghị định 118/2025/NĐ-CP).",
                       "New dossiers received in the period; a dossier counts for its processing unit (Decree "
                       "118/2025/NĐ-CP)."),
    "reception_flows": ("Các luồng tiếp nhận hộ lớn nhất (nơi tiếp nhận → đơn vị giải quyết)",
                        "Largest reception flows (receiving unit → processing unit)"),
    "receiving_unit": ("Nơi tiếp nhận", "Received at"),
    "processing_unit": ("Đơn vị giải quyết", "Processed by"),
    "dossiers": ("Số hồ sơ", "Dossiers"),
    "trends_title": ("{ind}", "{ind}"),
    "scorecard_chart_title": ("Kết quả so với chỉ tiêu, {period_label}", "Results against targets, {period_label}"),
    "heatmap_title": ("Mức độ đạt chỉ tiêu theo đơn vị, {period_label}", "Attainment by unit, {period_label}"),
    "heatmap_cbar": ("Kết quả so với chỉ tiêu (%)", "Result relative to target (%)"),
    "bars766_title": ("Bộ chỉ số 766: điểm đạt so với điểm tối đa theo nhóm",
                      "Index 766: points scored vs maximum by group"),
    "points": ("Điểm", "Points"),
    "score_pct": ("Tỷ lệ điểm đạt", "Score share"),
    "score": ("Điểm đạt", "Score"),
    "max_points": ("Điểm tối đa", "Maximum"),
    "computable": ("Điểm có dữ liệu", "Computable points"),
    "group": ("Nhóm", "Group"),
    "item": ("Tiêu chí", "Item"),
    "note": ("Ghi chú", "Note"),
    "band": ("Xếp loại", "Band"),
    "band_assumed": ("(ngưỡng xếp loại giả định, chưa được công bố chính thức)",
                     "(assumed band thresholds, not officially published)"),
    "score_over": ("{score} / {max} điểm có dữ liệu", "{score} / {max} computable points"),
    "as_observed": ("Cách tính điểm theo quy tắc quan sát được trên Cổng Dịch vụ công quốc gia (phụ lục của Quyết "
                    "định 766/QĐ-TTg chưa được công bố); điểm, ngưỡng và xếp loại lấy từ tệp cấu hình.",
                    "Scored with the rules the National Public Service Portal is observed to apply (the appendix "
                    "of Decision 766/QĐ-TTg is not published); points, thresholds and bands come from a "
                    "configuration file."),
    "not_computable": ("không đủ dữ liệu", "insufficient data"),
    "computable_share": ("Tỷ lệ điểm tính được: {share}", "Share of points computable: {share}"),
    "overdue": ("Hồ sơ quá hạn", "Overdue dossiers"),
    "due_soon": ("Hồ sơ sắp đến hạn", "Dossiers falling due soon"),
    "ma_ho_so": ("Mã hồ sơ", "Dossier code"),
    "ma_tthc": ("Mã TTHC", "Procedure code"),
    "ten_tthc": ("Tên thủ tục hành chính", "Procedure"),
    "ngay_hen_tra": ("Ngày hẹn trả", "Due date"),
    "so_ngay_tre": ("Số ngày làm việc trễ hạn", "Working days late"),
    "co_phieu_xin_loi": ("Phiếu xin lỗi", "Apology letter"),
    "yes": ("Có", "Yes"),
    "no": ("Không", "No"),
    "none_overdue": ("Không có hồ sơ quá hạn trong kỳ.", "No overdue dossiers in the period."),
    "none_due_soon": ("Không có hồ sơ sắp đến hạn.", "No dossiers falling due soon."),
    "more_rows": ("… và {n} hồ sơ khác (danh sách đầy đủ trong tệp Excel kèm theo).",
                  "… and {n} more dossiers (full list in the attached Excel file)."),
    "no_personal": ("Hồ sơ chỉ được nêu bằng mã hồ sơ; không hiển thị thông tin cá nhân.",
                    "Dossiers are identified by code only; no personal data is shown."),
    "dq_item": ("Nội dung", "Item"),
    "dq_count": ("Số lượng", "Count"),
    "dq_none": ("Không phát hiện vấn đề về chất lượng dữ liệu cho đơn vị này.",
                "No data-quality problems found for this unit."),
    "stt": ("STT", "No."),
    "field": ("Lĩnh vực, công việc giải quyết theo cấp", "Field, by level"),
    "unknown_field": ("Chưa xác định lĩnh vực", "Unknown field"),
    "total": ("Tổng cộng", "Total"),
    "unit_count": ("Đơn vị tính: Số hồ sơ TTHC", "Unit: number of dossiers"),
    "b_received": ("Số hồ sơ nhận giải quyết", "Dossiers to resolve"),
    "b_resolved": ("Số hồ sơ đã giải quyết", "Dossiers resolved"),
    "b_pending": ("Số hồ sơ đang giải quyết", "Dossiers pending"),
    "b_total": ("Tổng số", "Total"),
    "b_online": ("Trực tuyến", "Online"),
    "b_direct": ("Trực tiếp, dịch vụ bưu chính", "In person, postal"),
    "b_carried": ("Từ kỳ trước", "Carried over"),
    "b_early": ("Trả trước hạn", "Early"),
    "b_ontime": ("Trả đúng thời hạn", "On time"),
    "b_late": ("Trả quá hạn", "Late"),
    "b_within": ("Trong hạn", "Within deadline"),
    "b_overdue": ("Quá hạn", "Overdue"),
    "b_of_which": ("Trong đó", "Of which"),
    "units_meeting": ("Số đơn vị đạt", "Units meeting"),
    "units_total": ("Số đơn vị có dữ liệu", "Units with data"),
    "share_meeting": ("Tỷ lệ đạt", "Share meeting"),
    "total_gap": ("Tổng số hồ sơ còn thiếu", "Total dossiers missing"),
    "targets_missed": ("Số chỉ tiêu chưa đạt", "Targets not met"),
    "window_note": ("Số liệu tính {window_text}: {from_to}.", "Figures computed on {window_text}: {from_to}."),
    "no_children": ("Đơn vị không có đơn vị trực thuộc có dữ liệu trong kỳ.",
                    "The unit has no subordinate units with data in the period."),
    "legend_status": ("Màu ô: xanh = Đạt, đỏ = Chưa đạt, xám = Không có dữ liệu.",
                      "Cell colour: green = met, red = not met, grey = no data."),
    "d5_rate": ("tỷ lệ quá hạn {rate}", "overdue rate {rate}"),
    "heat_note": ("Ô ghi kết quả; màu theo mức đạt so với chỉ tiêu (D5: 100% khi không có hồ sơ quá hạn).",
                  "Cells show the value; colour is attainment relative to the target (D5: 100% when none overdue)."),
    "canonical": ("Giá trị chỉ tiêu (dạng văn bản, dùng để kiểm tra)", "Indicator values (plain text, for checking)"),
    "no_data_unit": ("Đơn vị không có hồ sơ nào được tính trong kỳ báo cáo.",
                     "The unit has no dossier counted in the period."),
})

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
