"""Timing of the early-warning query (``python -m tthc.bench.due_soon [N] [DATE]``) on a synthetic warehouse of N
dossiers, built the way the cube bench builds its own (:func:`tthc.bench.cube.load_warehouse` over
``tthc.sample.generate_frame``) in a temporary folder. Generation and loading are timed separately; the figure is
:func:`tthc.duesoon.pending_on` over every unit in a fresh connection (the HTML/XLSX writing is timed apart)."""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def run(n: int = 10_000_000, day: date = date(2025, 4, 25), workdir: Path | None = None, echo=print) -> dict:
    import duckdb

    from .cube import load_warehouse
    from .duesoon import pending_on
    from .sample.frame import generate_frame

    with tempfile.TemporaryDirectory(dir=workdir, prefix="tthc-duesoon-") as tmp:
        t0 = time.perf_counter()
        df = generate_frame(n, 20250331)
        t_gen = time.perf_counter() - t0
        t0 = time.perf_counter()
        path = Path(tmp) / "bench.duckdb"
        load_warehouse(df, path)
        del df
        t_load = time.perf_counter() - t0
        echo(f"generated {n:,} dossiers in {t_gen:.1f} s, loaded in {t_load:.1f} s")
        con = duckdb.connect(str(path), read_only=True)
        t0 = time.perf_counter()
        res = pending_on(con, day, 2)
        secs = time.perf_counter() - t0
        con.close()
    over = int((res["muc"] == "qua_han").sum())
    echo(f"due-soon on {day.isoformat()}: {len(res):,} rows ({over:,} overdue) from {n:,} dossiers in {secs:.2f} s")
    return dict(dossiers=n, day=day.isoformat(), rows=len(res), overdue=over, seconds=secs, generate_seconds=t_gen,
                load_seconds=t_load)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    d = date.fromisoformat(sys.argv[2]) if len(sys.argv) > 2 else date(2025, 4, 25)
    run(n, d)
