"""The settings a report run hands from one process to the next, as one small frozen value.

``tthc report`` / ``tthc batch`` build a :class:`RunSettings` from their command line and carry it explicitly: to the
batch's pool workers (their start-up message, or the pickled run spec on Dask), from a worker to the kernel zygote
(its argv) and to the report (papermill parameters, e.g. ``rules``). Nothing of it travels in environment
variables: a kernel forked from a warm zygote inherits that process's environment, so a per-batch setting in
``os.environ`` could reach the wrong report. The environment keeps only the documented locations (``TTHC_ROOT``,
``TTHC_WAREHOUSE``, ``TTHC_UNITS``) and diagnostics switches (docs/architecture.md, "Environment variables").

A bottom layer: imports nothing from :mod:`tthc`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class RunSettings:
    """How a report run is executed; the defaults are the production behaviour."""

    #: the 766 rules version asked with ``--rules`` (canonical name); None: the version in force at each period's end
    rules766: str | None = None
    #: kernels are forks of a preloaded zygote (False: ordinary ``jupyter_client`` kernel processes)
    fork_kernels: bool = True
    #: the workers of a local batch share one zygote (False: each worker starts its own, as on a Dask worker)
    shared_zygote: bool = True
    #: a ``--force`` batch starts its workers before planning, so their imports overlap the plan
    early_pool: bool = True
    #: the zygote freezes its preloaded objects (``gc.freeze``) before it forks
    zygote_gc_freeze: bool = True
    #: tests only: every run of the batch is this pool test pipeline ("noop" succeeds at once, "crash" kills the
    #: worker) instead of a report
    test_pipeline: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict | None) -> "RunSettings":
        if not d:
            return cls()
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown run settings: {', '.join(unknown)}")
        return cls(**d)

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "RunSettings":
        return cls.from_dict(json.loads(text))
