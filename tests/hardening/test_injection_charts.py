"""Injection into charts: unit names reach matplotlib tick labels in the overview heatmap, where "$…$" is mathtext.
Found here: a child unit named "Phòng $\\invalidcmd{x}$" made the whole overview fail (ParseFatalException) and
"$\\frac{1}{0}$" was typeset as a fraction. Names must be drawn literally."""

from __future__ import annotations

import io

import pandas as pd
import pytest

NAMES = ["Phòng $\\invalidcmd{x}$ tài chính", "UBND $\\frac{1}{0}$", "<script>alert(1)</script>", "a$b", "$$",
         "=HYPERLINK(\"http://x\",\"y\")"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_heatmap_draws_hostile_unit_names_literally(lang, tally):
    from tthc.report.plots import TARGET_INDICATORS, fig_heatmap

    rows = [dict(unit=f"P{i:03d}", unit_name=n, indicator=ind, value=50.0 + i, target=60.0)
            for i, n in enumerate(NAMES) for ind in TARGET_INDICATORS]
    fig = fig_heatmap(pd.DataFrame(rows), lang=lang, period_label="Quý I/2025")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")  # raised ValueError (mathtext) before the fix
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    for code_name, label in zip([f"P{i:03d} {n}" for i, n in enumerate(NAMES)], labels):
        assert label.replace("\\$", "$") == code_name and "$" not in label.replace("\\$", "")
    tally("inputs fuzzed", len(NAMES), f"hostile unit names in the heatmap ({lang})")
