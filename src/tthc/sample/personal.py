"""Fake personal data for the export files only (spec §3: it must never leave the ingest).

Names, 12-digit CCCD numbers, phone numbers, e-mails and addresses are drawn from a seeded generator; none is real.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

HO = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Phan",
      "Đinh", "Mạc", "Tăng", "Trịnh"]
HO_P = np.array([32, 11, 9, 7, 5, 5, 3, 3, 3, 2, 2, 2, 1, 4, 2, 1, 1, 2], dtype=float)
DEM_NAM = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Xuân", "Thành", "Tiến", "Ngọc"]
DEM_NU = ["Thị", "Thu", "Ngọc", "Minh", "Thanh", "Phương", "Hồng", "Kim", "Diệu", "Thùy"]
TEN_NAM = ["An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hùng", "Khánh", "Long", "Minh", "Nam", "Phong",
           "Quân", "Sơn", "Thắng", "Toàn", "Trung", "Tuấn", "Việt"]
TEN_NU = ["Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Loan", "Mai", "Ngọc",
          "Nhung", "Phương", "Quỳnh", "Thảo", "Trang", "Vân", "Yến"]
THON = ["Thôn Đông", "Thôn Tây", "Thôn Nam", "Thôn Bắc", "Thôn Trung", "Thôn Thượng", "Thôn Hạ", "Khu 1", "Khu 2",
        "Khu 3"]
PHONE_PREFIX = ["096", "097", "098", "086", "032", "033", "034", "035", "036", "037", "038", "039", "091", "094",
                "088", "090", "093", "089", "070", "077", "079", "081", "082", "083", "084", "085"]


def _ascii(s: str) -> str:
    s = s.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn").lower()


def personal_columns(df: pd.DataFrame, seed: int, unit_names: dict[str, str] | None = None) -> pd.DataFrame:
    """One row of fake personal data per dossier of ``df`` (same index): chu_ho_so, so_giay_to, so_dien_thoai,
    email, dia_chi."""
    n = len(df)
    rng = np.random.default_rng([seed, 31337, n])
    nu = rng.random(n) < 0.5
    ho = rng.choice(len(HO), size=n, p=HO_P / HO_P.sum())
    dem = rng.integers(0, 10, size=n)
    ten = rng.integers(0, 20, size=n)
    names = [f"{HO[h]} {(DEM_NU if f else DEM_NAM)[d]} {(TEN_NU if f else TEN_NAM)[t]}"
             for h, d, t, f in zip(ho, dem, ten, nu)]
    year = rng.integers(1950, 2006, size=n)
    century = np.where(year >= 2000, 2, 0) + nu.astype(int)
    tail = rng.integers(0, 1_000_000, size=n)
    # CCCD: province code 030 (Hải Dương), gender/century digit, 2-digit birth year, 6 random digits
    cccd = [f"030{c}{y % 100:02d}{t:06d}" for c, y, t in zip(century, year, tail)]
    pre = rng.integers(0, len(PHONE_PREFIX), size=n)
    num = rng.integers(0, 10_000_000, size=n)
    phones = [f"{PHONE_PREFIX[p]}{x:07d}" for p, x in zip(pre, num)]
    mail_no = rng.integers(1, 999, size=n)
    has_mail = rng.random(n) < 0.7
    emails = [f"{_ascii(nm).replace(' ', '')[:20]}{k}@gmail.com" if m else None
              for nm, k, m in zip(names, mail_no, has_mail)]
    unit_names = unit_names or {}
    thon = rng.integers(0, len(THON), size=n)
    recv = df["don_vi_tiep_nhan"].astype(str).to_numpy()
    xl = df["ma_don_vi"].astype(str).to_numpy()
    addr = []
    for i in range(n):
        home = xl[i] if xl[i].startswith("X") else recv[i]
        place = unit_names.get(home, "")
        place = place.replace("UBND ", "") if place.startswith("UBND xã") or place.startswith("UBND thị") else ""
        place = place or "xã Thanh Hồng"
        addr.append(f"{THON[thon[i]]}, {place}, huyện Thanh Hà, tỉnh Hải Dương")
    return pd.DataFrame({"chu_ho_so": names, "so_giay_to": cccd, "so_dien_thoai": phones, "email": emails,
                         "dia_chi": addr}, index=df.index)
