"""The explicit data step before a report: the synthetic sample on a fresh clone, then the cube.

Run by the command layer (``tthc report``, ``tthc batch``, ``tthc explore``) and by ``make install``
(``python -m tthc.bootstrap``), never by a report query: :mod:`tthc.report` only reads, and says what to run when
there is nothing to read (:func:`tthc.report.data.require_data`).
"""

from __future__ import annotations

import sys

from . import config
from .report.data import warehouse_has_data


def _say(msg: str) -> None:
    print(f"tthc: {msg}", file=sys.stderr, flush=True)


def ensure_data(verbose: bool = True, dossiers: int | None = None, period=None) -> dict:
    """Sample data if nothing was ingested (``dossiers``: its size, default the sample's 30 000), then the cube if
    missing or stale, and covering ``period`` (a code or a parsed Period; the cube holds the periods of the data,
    a report may ask for another). Returns what was done. A batch runs it once, in its plan; its reports do not.
    The only place a report's cube is built: queries only read (:mod:`tthc.engine.query`)."""
    done = {"sample": False, "cube_rebuilt": False}
    wh = config.default_warehouse()
    if not warehouse_has_data(wh):
        if verbose:
            _say(f"no data ingested in {wh}: generating and ingesting the synthetic sample (tthc sample) …")
        from .sample import build_sample

        kw = {"n": dossiers} if dossiers else {}
        build_sample(echo=print if verbose else None, **kw)  # what `tthc sample` does
        done["sample"] = True
    from .engine.cube import ensure_cube

    meta = ensure_cube(str(wh))
    if isinstance(period, str):
        from .periods import parse_period

        period = parse_period(period)
    code = period.code if period is not None else None
    if code and code not in meta.get("periods", []):
        rebuilt = meta.get("rebuilt")
        meta = ensure_cube(str(wh), periods=sorted({*meta.get("periods", []), code}), force=True)
        meta["rebuilt"] = True if rebuilt else meta.get("rebuilt")
    done["cube_rebuilt"] = bool(meta.get("rebuilt"))
    if verbose and done["cube_rebuilt"]:
        _say(f"built the indicator cube in {config.processed_dir() / 'cube'}")
    done["cube_meta"] = meta
    return done


def main(argv: list[str] | None = None) -> int:
    """``python -m tthc.bootstrap [--dossiers N]`` (``make install``): the sample if nothing was ingested, the cube."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m tthc.bootstrap", description=main.__doc__)
    ap.add_argument("--dossiers", type=int, default=None, help="size of the sample when one is generated")
    args = ap.parse_args(argv)
    done = ensure_data(dossiers=args.dossiers)
    _say(f"data ready in {config.default_warehouse()} (sample generated: {done['sample']}, cube rebuilt: "
         f"{done['cube_rebuilt']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
