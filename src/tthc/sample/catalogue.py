"""The simulated procedure catalogue of the synthetic sample (fields, procedures, statutory limits, fees).

Codes are *plausible* MaTTHC / MaLinhVuc-style codes for a simulation, not an authoritative copy of the national
catalogue. ``level`` is where the procedure is handled: ``xa`` (commune People's Committee) or ``huyen`` (district
one-stop desk, processed by the district office whose name contains ``office``).
"""

from __future__ import annotations

from dataclasses import dataclass

# field code → field name (lĩnh vực)
FIELDS: dict[str, str] = {
    "TP05": "Hộ tịch",
    "TP02": "Chứng thực",
    "TN01": "Đất đai",
    "TN03": "Môi trường",
    "XD02": "Hoạt động xây dựng",
    "KH04": "Thành lập và hoạt động của hộ kinh doanh",
    "LD07": "Bảo trợ xã hội",
    "LD05": "Người có công",
    "GD01": "Giáo dục và Đào tạo",
    "VH03": "Văn hóa cơ sở",
    "YT01": "An toàn thực phẩm",
    "NV06": "Thi đua, khen thưởng",
    "TT01": "Giải quyết khiếu nại",
    "NN02": "Kinh tế hợp tác và phát triển nông thôn",
}


@dataclass(frozen=True)
class Procedure:
    """One administrative procedure (thủ tục hành chính) of the simulated catalogue."""

    ma_tthc: str
    ten_tthc: str
    ma_linh_vuc: str
    level: str          # xa | huyen
    thoi_han_gq: int    # statutory limit, working days
    le_phi: int         # fee in VND (0 = free)
    weight: float       # relative volume within its level
    office: str = ""    # huyen only: keyword of the processing office's name
    giay_to: str = "Giấy tờ kết quả"  # name of the result document
    n_tai_lieu: int = 2  # number of submitted components (TaiLieuNop)


PROCEDURES: tuple[Procedure, ...] = (
    # --- commune level -------------------------------------------------------------------------------------------
    Procedure("1.001193", "Đăng ký khai sinh", "TP05", "xa", 1, 0, 10.0, giay_to="Giấy khai sinh", n_tai_lieu=2),
    Procedure("1.000656", "Đăng ký khai tử", "TP05", "xa", 1, 0, 4.0, giay_to="Trích lục khai tử"),
    Procedure("1.000894", "Đăng ký kết hôn", "TP05", "xa", 1, 0, 4.0, giay_to="Giấy chứng nhận kết hôn", n_tai_lieu=3),
    Procedure("1.004873", "Cấp bản sao Trích lục hộ tịch", "TP05", "xa", 1, 8000, 8.0, giay_to="Bản sao trích lục",
              n_tai_lieu=1),
    Procedure("1.004884", "Cấp Giấy xác nhận tình trạng hôn nhân", "TP05", "xa", 3, 0, 7.0,
              giay_to="Giấy xác nhận tình trạng hôn nhân"),
    Procedure("1.001022", "Đăng ký lại khai sinh", "TP05", "xa", 5, 0, 1.0, giay_to="Giấy khai sinh", n_tai_lieu=3),
    Procedure("1.004859", "Thay đổi, cải chính, bổ sung thông tin hộ tịch", "TP05", "xa", 3, 15000, 2.0,
              giay_to="Trích lục thay đổi hộ tịch", n_tai_lieu=3),
    Procedure("2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "TP02", "xa", 1, 2000, 30.0,
              giay_to="Bản sao chứng thực", n_tai_lieu=1),
    Procedure("2.000884", "Chứng thực chữ ký trong các giấy tờ, văn bản", "TP02", "xa", 1, 10000, 12.0,
              giay_to="Văn bản chứng thực chữ ký", n_tai_lieu=1),
    Procedure("2.001035", "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản, quyền sử dụng đất, "
              "nhà ở", "TP02", "xa", 2, 50000, 5.0, giay_to="Hợp đồng được chứng thực", n_tai_lieu=3),
    Procedure("1.001776", "Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hằng tháng", "LD07", "xa", 20, 0, 3.0,
              giay_to="Quyết định trợ cấp xã hội", n_tai_lieu=3),
    Procedure("1.010832", "Cấp giấy xác nhận thân nhân của người có công", "LD05", "xa", 5, 0, 1.5,
              giay_to="Giấy xác nhận thân nhân người có công"),
    Procedure("1.003554", "Hòa giải tranh chấp đất đai", "TN01", "xa", 45, 0, 1.0, giay_to="Biên bản hòa giải",
              n_tai_lieu=2),
    Procedure("2.000337", "Tặng giấy khen của Chủ tịch Ủy ban nhân dân cấp xã cho gia đình", "NV06", "xa", 20, 0, 1.0,
              giay_to="Giấy khen", n_tai_lieu=2),
    # --- district level (received at the one-stop desk, processed by an office) ----------------------------------
    Procedure("1.004227", "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất", "TN01",
              "huyen", 10, 150000, 30.0, "Tài nguyên", "Giấy chứng nhận quyền sử dụng đất", 4),
    Procedure("1.004203", "Cấp Giấy chứng nhận quyền sử dụng đất lần đầu", "TN01", "huyen", 20, 100000, 8.0,
              "Tài nguyên", "Giấy chứng nhận quyền sử dụng đất", 5),
    Procedure("1.003010", "Chuyển mục đích sử dụng đất phải được phép của cơ quan nhà nước có thẩm quyền", "TN01",
              "huyen", 15, 100000, 6.0, "Tài nguyên", "Quyết định cho phép chuyển mục đích sử dụng đất", 3),
    Procedure("1.001990", "Tách thửa hoặc hợp thửa đất", "TN01", "huyen", 15, 100000, 6.0, "Tài nguyên",
              "Giấy chứng nhận quyền sử dụng đất", 3),
    Procedure("2.000889", "Cấp đổi Giấy chứng nhận quyền sử dụng đất", "TN01", "huyen", 7, 50000, 8.0, "Tài nguyên",
              "Giấy chứng nhận quyền sử dụng đất", 2),
    Procedure("1.004249", "Xác nhận đăng ký kế hoạch bảo vệ môi trường", "TN03", "huyen", 10, 0, 1.0, "Tài nguyên",
              "Giấy xác nhận kế hoạch bảo vệ môi trường", 2),
    Procedure("1.009994", "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ", "XD02", "huyen", 15, 75000, 8.0,
              "Kinh tế", "Giấy phép xây dựng", 4),
    Procedure("1.010006", "Cấp giấy phép sửa chữa, cải tạo đối với nhà ở riêng lẻ", "XD02", "huyen", 15, 75000, 2.0,
              "Kinh tế", "Giấy phép xây dựng", 3),
    Procedure("2.000720", "Đăng ký thành lập hộ kinh doanh", "KH04", "huyen", 3, 100000, 8.0, "Tài chính",
              "Giấy chứng nhận đăng ký hộ kinh doanh", 2),
    Procedure("2.000575", "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh", "KH04", "huyen", 3, 50000, 4.0,
              "Tài chính", "Giấy chứng nhận đăng ký hộ kinh doanh", 2),
    Procedure("1.001766", "Đăng ký khai sinh có yếu tố nước ngoài", "TP05", "huyen", 15, 75000, 0.5, "Tư pháp",
              "Giấy khai sinh", 3),
    Procedure("2.000528", "Thay đổi, cải chính, xác định lại dân tộc cho người từ đủ 14 tuổi trở lên", "TP05", "huyen",
              5, 28000, 1.0, "Tư pháp", "Trích lục thay đổi hộ tịch", 3),
    Procedure("2.000908", "Chứng thực bản sao từ bản chính giấy tờ do cơ quan nước ngoài cấp", "TP02", "huyen", 1,
              2000, 3.0, "Tư pháp", "Bản sao chứng thực", 1),
    Procedure("1.001731", "Giải quyết hưởng trợ cấp xã hội hằng tháng", "LD07", "huyen", 7, 0, 3.0, "Lao động",
              "Quyết định trợ cấp xã hội", 3),
    Procedure("1.010820", "Giải quyết chế độ trợ cấp thờ cúng liệt sĩ", "LD05", "huyen", 12, 0, 1.0, "Lao động",
              "Quyết định trợ cấp thờ cúng liệt sĩ", 3),
    Procedure("1.004442", "Chuyển trường đối với học sinh trung học cơ sở", "GD01", "huyen", 3, 0, 2.0, "Giáo dục",
              "Giấy giới thiệu chuyển trường", 2),
    Procedure("1.005099", "Cho phép trường mầm non hoạt động giáo dục", "GD01", "huyen", 20, 0, 0.3, "Giáo dục",
              "Quyết định cho phép hoạt động giáo dục", 4),
    Procedure("1.001029", "Thông báo tổ chức lễ hội cấp huyện", "VH03", "huyen", 5, 0, 1.0, "Văn hóa",
              "Văn bản trả lời", 2),
    Procedure("1.003592", "Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", "YT01", "huyen", 15, 500000,
              2.0, "Y tế", "Giấy chứng nhận đủ điều kiện an toàn thực phẩm", 3),
    Procedure("1.003434", "Cấp giấy chứng nhận kinh tế trang trại", "NN02", "huyen", 10, 0, 0.5, "Nông nghiệp",
              "Giấy chứng nhận kinh tế trang trại", 2),
    Procedure("1.000775", "Tặng giấy khen của Chủ tịch Ủy ban nhân dân cấp huyện", "NV06", "huyen", 20, 0, 1.0,
              "Nội vụ", "Giấy khen", 2),
    Procedure("2.002175", "Giải quyết khiếu nại lần đầu tại cấp huyện", "TT01", "huyen", 30, 0, 0.4, "Thanh tra",
              "Quyết định giải quyết khiếu nại", 2),
    Procedure("2.002176", "Tiếp nhận, xử lý đơn kiến nghị, phản ánh tại cấp huyện", "TT01", "huyen", 10, 0, 0.4,
              "Văn phòng", "Văn bản trả lời", 1),
)
