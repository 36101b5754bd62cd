"""Runs on a Dask distributed cluster instead of the local pool (``tthc batch --scheduler tcp://host:8786`` or env
``DASK_SCHEDULER_ADDRESS``).

One notebook run per task: ``client.submit(run_one, spec, pure=False, retries=2)``. Tasks run inside the Dask worker
processes; :func:`tthc.batch.worker.run_one` keeps a module-level :class:`~tthc.batch.worker.Runner` per worker
process, so each process imports papermill/nbconvert/WeasyPrint and starts its kernel zygote once, and keeps the next
kernel warm between tasks (:func:`warm_workers` starts that before the first task arrives).

Requirements (see docs/batch.md): every worker sees the project, the warehouse, the cube and ``--out-root`` at the
same paths (shared NFS mount), and runs the same locked environment. Specs carry absolute paths, the documented
``TTHC_ROOT`` / ``TTHC_WAREHOUSE`` / ``TTHC_UNITS`` locations and the run settings (:class:`tthc.settings.RunSettings`,
pickled with the spec).
"""

from __future__ import annotations

import time


def _failed(spec: dict, error: str) -> dict:
    return dict(id=spec["id"], unit=spec["unit"], period=spec["period"], kind=spec.get("kind"),
                out_dir=spec["out_dir"], stamp=spec.get("stamp"), status="failed", error=error, timing={})


def warm_workers(client, conf: dict | None, cwd: str | None) -> dict:
    """Create the Runner (imports, exporter setup, first warm kernel) in every worker process now; ``conf``: see
    :func:`tthc.batch.worker.worker_config`."""
    from .worker import warm

    return client.run(warm, conf, cwd)


def run_on_dask(specs: list[dict], scheduler, on_result=None, retries: int = 2, warm: bool = True) -> list[dict]:
    """Submit every spec, call ``on_result`` as each finishes, return the results. ``scheduler`` is an address
    (``tcp://host:8786``) or an existing ``distributed.Client``."""
    from distributed import Client, as_completed

    from .worker import run_one, worker_config

    own = not hasattr(scheduler, "submit")
    client = Client(scheduler, timeout="30s") if own else scheduler
    results = []
    try:
        if warm and specs:
            try:
                warm_workers(client, worker_config(specs[0]), specs[0].get("cwd"))
            except Exception:  # noqa: BLE001 - warming is an optimisation; tasks create the Runner anyway
                pass
        stamp = int(time.time() * 1000)
        futures = {client.submit(run_one, s, pure=False, retries=retries, key=f"tthc-{s['id']}-{stamp}"): s
                   for s in specs}
        for fut in as_completed(futures):
            spec = futures[fut]
            try:
                r = fut.result()
            except Exception as e:  # noqa: BLE001 - a lost worker or a task error: this unit failed, others go on
                r = _failed(spec, f"{type(e).__name__}: {e}")
            results.append(r)
            if on_result:
                on_result(r)
    finally:
        if own:
            client.close()
    return results
