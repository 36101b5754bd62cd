"""Issue #18 item 9: every command taking a unit × period accepts exactly what ``tthc report`` accepts (one rule,
:func:`tthc.report.params.check_unit`). P001 exists but closed on 2025-06-30, so it is not valid in 2025-Q4."""

from __future__ import annotations

import pytest

import hardening_helpers as hh


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return hh.make_root(tmp_path_factory.mktemp("unitrule") / "root")


def test_check_unit_rule(registry):
    from tthc.errors import ParameterError
    from tthc.report.params import check_unit

    assert check_unit("P001", "2025-Q1", "calendar", registry) == "P001"
    assert check_unit("P001", "2025-H1", "calendar", registry) == "P001"  # closes on the period's last day
    with pytest.raises(ParameterError, match=r"unit 'P001' is not valid in 2025-Q4 \(valid 2015-01-01–2025-06-30\)"):
        check_unit("P001", "2025-Q4", "calendar", registry)
    with pytest.raises(ParameterError, match="unknown unit 'Z999'"):
        check_unit("Z999", "2025-Q1", "calendar", registry)
    with pytest.raises(ParameterError, match="invalid unit"):
        check_unit("../x", "2025-Q1", "calendar", registry)


@pytest.mark.parametrize("cmd", [
    ["export", "--period", "2025-Q4", "--unit", "P001"],
    ["bieu06", "--period", "2025-Q4", "--unit", "P001"],
    ["indicators", "--period", "2025-Q4", "--unit", "P001"],
    ["report", "--period", "2025-Q4", "--unit", "P001", "--no-pdf"],
    ["batch", "--period", "2025-Q4", "--units-list", "X101,P001", "--no-progress"],
])
def test_every_command_rejects_a_unit_not_valid_in_the_period(root, cmd, tally):
    before = hh.tree(root)
    r = hh.run_cli(cmd, root, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr, (r.returncode, r.stderr[-1500:])
    last = [ln for ln in r.stderr.splitlines() if ln.strip()][-1]
    assert last.startswith(f"tthc {cmd[0]}: error: ") and "'P001' is not valid in 2025-Q4" in last, last
    new = set(hh.tree(root)) - set(before)
    assert new <= {"outputs", "outputs/.tthc-batch.lock"}, new  # rejected before any sample, cube or output
    tally("hostile parameters", 1, "unit not valid in the period")
