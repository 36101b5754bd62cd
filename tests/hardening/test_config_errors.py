"""Configuration errors (issue "Hardening", item 6): malformed or inconsistent ``params/*.yaml`` are reported by their
loaders as :class:`tthc.errors.ConfigError` naming the file and the key, and by ``tthc check`` with exit 2 and one
line — never a traceback. YAML tags that construct Python objects are refused by safe loading."""

from __future__ import annotations

import shutil

import pytest

import hardening_helpers as hh
from tthc.errors import ConfigError

PARAMS = hh.REPO / "params"
PYTAG = "!!python/object/apply:os.system ['touch {marker}']"


def _units(tmp, text):
    from tthc.units import load_registry

    p = tmp / "units.yaml"
    p.write_text(text, encoding="utf-8")
    return load_registry(p)


def _edit(name: str, old: str, new: str) -> str:
    text = (PARAMS / name).read_text(encoding="utf-8")
    assert old in text, (name, old)
    return text.replace(old, new, 1)


U = "units:\n"
A = "  - {code: A, name: a, level: huyen, parent: null, valid_from: 2015-01-01, valid_to: null}\n"
UNIT_CASES = {
    "unknown level": (U + A + "  - {code: B, name: b, level: thon, parent: A, valid_from: 2015-01-01}\n",
                      "unknown level 'thon'"),
    "cycle": (U + "  - {code: A, name: a, level: huyen, parent: B, valid_from: 2015-01-01}\n"
              "  - {code: B, name: b, level: xa, parent: A, valid_from: 2015-01-01}\n", "cycle"),
    "own parent": (U + "  - {code: A, name: a, level: huyen, parent: A, valid_from: 2015-01-01}\n", "own parent"),
    "overlapping successor": (U + "  - {code: A, name: a, level: xa, parent: null, valid_from: 2015-01-01, "
                              "valid_to: 2025-07-01, successors: [B]}\n"
                              "  - {code: B, name: b, level: xa, parent: null, valid_from: 2025-07-01}\n", "overlaps"),
    "to before from": (U + "  - {code: A, name: a, level: xa, parent: null, valid_from: 2025-01-01, "
                       "valid_to: 2024-01-01}\n", "before valid_from"),
    "duplicate code": (U + A + A, "appears twice"),
    "unknown parent": (U + "  - {code: A, name: a, level: xa, parent: ZZ, valid_from: 2015-01-01}\n", "parent 'ZZ'"),
    "impossible date": (U + "  - {code: A, name: a, level: xa, parent: null, valid_from: 2025-02-30}\n", "date"),
    "text date": (U + "  - {code: A, name: a, level: xa, parent: null, valid_from: soon}\n", "valid_from"),
    "not a list": ("units: {A: 1}\n", "units:"),
    "item not a mapping": (U + "  - A\n", "units[0]"),
    "missing name": (U + "  - {code: A, level: xa, parent: null, valid_from: 2015-01-01}\n", "'name'"),
    "successors not a list": (U + "  - {code: A, name: a, level: xa, parent: null, valid_from: 2015-01-01, "
                              "valid_to: 2020-01-01, successors: B}\n", "successors"),
    "malformed yaml": (U + "  - {code: A, name: a\n", "malformed YAML"),
    "python tag": (U + "  - {code: " + PYTAG + ", name: a, level: xa, valid_from: 2015-01-01}\n", "malformed YAML"),
    "not utf-8": ("units: []\n# Đ".encode("cp1258").decode("latin-1"), None),
    "empty": ("", "units:"),
}


@pytest.mark.parametrize("case", sorted(UNIT_CASES))
def test_unit_registry_errors(case, tmp_path, tally):
    text, needle = UNIT_CASES[case]
    text = text.replace("{marker}", str(tmp_path / "pwned"))
    if case == "not utf-8":
        (tmp_path / "units.yaml").write_bytes("units: []\n# Đ ư\n".encode("cp1258"))
        from tthc.units import load_registry

        with pytest.raises(ConfigError, match="UTF-8"):
            load_registry(tmp_path / "units.yaml")
    else:
        with pytest.raises(ConfigError) as e:
            _units(tmp_path, text)
        assert str(tmp_path / "units.yaml") in str(e.value) and needle in str(e.value), str(e.value)
    assert not (tmp_path / "pwned").exists()
    tally("config errors", 1, f"units.yaml: {case}")


TARGET_CASES = {
    "target above 100%": ("target: 60,", "target: 150,", "not a percentage"),
    "negative rate": ("target: 60,", "target: -5,", "not a percentage"),
    "text target": ("target: 60,", "target: sixty,", "numbers"),
    "unknown indicator id": ("indicators:\n", "indicators:\n  D9: {kind: rate, target: 50, source: cv353}\n", "D9"),
    "unknown level": ("by_level: {tinh: 80,", "by_level: {thon: 80, tinh: 80,", "unknown level"),
    "unknown kind": ("kind: count\n", "kind: tally\n", "kind"),
    "unknown source": ("issued_by: cv353,", "issued_by: cv999,", "cv999"),
    "negative count": ("target: 0,", "target: -1,", "D5"),
    "malformed yaml": ("indicators:\n", "indicators: [\n", "malformed YAML"),
    "python tag": ("target: 60,", "target: " + PYTAG + ",", "malformed YAML"),
}


@pytest.mark.parametrize("case", sorted(TARGET_CASES))
def test_targets_errors(case, tmp_path, tally):
    from tthc.engine.targets import load_targets

    old, new, needle = TARGET_CASES[case]
    p = tmp_path / "targets.yaml"
    p.write_text(_edit("targets.yaml", old, new.replace("{marker}", str(tmp_path / "pwned"))), encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_targets(p)
    assert str(p) in str(e.value) and needle in str(e.value), str(e.value)
    assert not (tmp_path / "pwned").exists()
    tally("config errors", 1, f"targets.yaml: {case}")


I766_CASES = {
    "points not a number": ('points: 6, scoring: proportional, name_vi: "Hồ sơ đồng bộ',
                            'points: six, scoring: proportional, name_vi: "Hồ sơ đồng bộ', "1.4"),
    "points missing": ('{item: "1.4", group: "1", points: 6,', '{item: "1.4", group: "1",', "1.4"),
    "group sum": ('points: 20, scoring: proportional', 'points: 25, scoring: proportional', "group 2"),
    "threshold above 1": ("threshold: 0.5", "threshold: 1.5", "threshold"),
    "unknown scoring": ("points: 20, scoring: proportional", "points: 20, scoring: magic", "scoring"),
    "unknown group": ('{item: "1.4", group: "1"', '{item: "1.4", group: "9"', "group '9'"),
    "item not a mapping": ("    items:\n", "    items:\n      - just text\n", "items[0]"),
    "band without min": ('name_en: "Good", min: 80, assumed: true}', 'name_en: "Good", assumed: true}', "bands"),
    "negative points": ('{item: "4.5", group: "4", points: 2,', '{item: "4.5", group: "4", points: -2,', "points"),
    "python tag": ("total: 100\n", "total: " + PYTAG + "\n", "malformed YAML"),
}


@pytest.mark.parametrize("case", sorted(I766_CASES))
def test_index766_errors(case, tmp_path, tally):
    from tthc.engine.index766 import load_index766

    old, new, needle = I766_CASES[case]
    p = tmp_path / "index766.yaml"
    p.write_text(_edit("index766.yaml", old, new.replace("{marker}", str(tmp_path / "pwned"))), encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_index766(p)
    assert str(p) in str(e.value) and needle in str(e.value), str(e.value)
    assert not (tmp_path / "pwned").exists()
    tally("config errors", 1, f"index766.yaml: {case}")


CAL_CASES = {
    "unknown key": ("days_off: []", "holidays_extra: []\ndays_off: []", "unknown key"),
    "misspelt key": ("days_off: []", "days_off: []\nworking_saturdays_x: 1", "unknown key"),
    "weekday as working saturday": ("  - {date: 2025-04-26,", "  - {date: 2025-04-25,", "not a Saturday"),
    "bad date": ("days_off: []", "days_off:\n  - {date: 2025-13-01, reason: x}", "date"),
    "both off and working": ("days_off: []", "days_off: [2025-04-26]", "both"),
    "python tag": ("days_off: []", "days_off:\n  - " + PYTAG, "malformed YAML"),
}


@pytest.mark.parametrize("case", sorted(CAL_CASES))
def test_calendar_errors(case, tmp_path, tally):
    from tthc.workdays import load_calendar

    old, new, needle = CAL_CASES[case]
    p = tmp_path / "calendar.yaml"
    p.write_text(_edit("calendar.yaml", old, new.replace("{marker}", str(tmp_path / "pwned"))), encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_calendar(p)
    assert str(p) in str(e.value) and needle in str(e.value), str(e.value)
    tally("config errors", 1, f"calendar.yaml: {case}")


SOURCE_CASES = {
    "unknown format": ("format: tabular", "format: excel", "format"),
    "unknown canonical column": ('"Mã TTHC": ma_tthc', '"Mã TTHC": ma_thu_tuc', "ma_thu_tuc"),
    "personal field mapped": ('"Lĩnh vực": ten_linh_vuc', '"Số điện thoại": ten_linh_vuc', "personal"),
    "bad header marker": ('header_marker: "Mã hồ sơ"', 'header_marker: "Không có"', "header_marker"),
    "python tag": ("format: tabular", "format: " + PYTAG, "malformed YAML"),
}


@pytest.mark.parametrize("case", sorted(SOURCE_CASES))
def test_source_map_errors(case, tmp_path, tally):
    from tthc.ingest.sources import parse_source
    from tthc.yamlio import load_yaml

    old, new, needle = SOURCE_CASES[case]
    p = tmp_path / "motcua_hd.yaml"
    p.write_text(_edit("sources/motcua_hd.yaml", old, new.replace("{marker}", str(tmp_path / "pwned"))),
                 encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        parse_source(load_yaml(p), p)
    assert str(p) in str(e.value) and needle in str(e.value), str(e.value)
    tally("config errors", 1, f"sources/motcua_hd.yaml: {case}")


@pytest.mark.slow
def test_tthc_check_reports_each_file(tmp_path, tally):
    """``tthc check`` on a project root with one broken file at a time: exit 2, one line naming the file."""
    marker = tmp_path / "pwned"
    broken = {
        "units.yaml": UNIT_CASES["cycle"][0],
        "targets.yaml": _edit("targets.yaml", "target: 60,", "target: 150,"),
        "index766.yaml": _edit("index766.yaml", "total: 100\n", "total: " + PYTAG.replace("{marker}", str(marker))
                               + "\n"),
        "calendar.yaml": _edit("calendar.yaml", "days_off: []", "holidays_extra: []\ndays_off: []"),
        "sources/motcua_hd.yaml": _edit("sources/motcua_hd.yaml", "format: tabular", "format: excel"),
    }
    root = hh.make_root(tmp_path / "root")
    r = hh.run_cli(["check"], root, timeout=60)
    assert r.returncode == 0, r.stderr
    for name, text in broken.items():
        p = root / "params" / name
        good = p.read_text(encoding="utf-8")
        p.write_text(text, encoding="utf-8")
        r = hh.run_cli(["check"], root, timeout=60)
        p.write_text(good, encoding="utf-8")
        assert r.returncode == 2, (name, r.stdout, r.stderr)
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("tthc check: error: ") and str(p) in lines[0], r.stderr
    assert not marker.exists()
    # the commands that load them say the same: report (registry), ingest (source maps)
    for name, args in (("units.yaml", ["report", "--unit", "X001", "--period", "2025-Q1"]),
                       ("sources/motcua_hd.yaml", ["ingest", str(root / "pyproject.toml")])):
        p = root / "params" / name
        good = p.read_text(encoding="utf-8")
        p.write_text(broken[name], encoding="utf-8")
        r = hh.run_cli(args, root, timeout=60)
        p.write_text(good, encoding="utf-8")
        assert r.returncode == 2, (name, r.stderr)
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith(f"tthc {args[0]}: error: ") and str(p) in lines[0], r.stderr
    shutil.rmtree(root)
    tally("config errors", len(broken) + 2, "tthc check / report / ingest subprocess")
