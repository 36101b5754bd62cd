"""Imported once by the batch's worker forkserver (multiprocessing's ``forkserver`` start method, see
:class:`tthc.batch.pool.LocalPool`) before it forks the workers: each worker then starts as a copy of an interpreter
that already holds papermill, nbformat, the exporters (built, the report template compiled), openpyxl, pandas and
tthc, instead of importing them itself (≈ 1.3 CPU-s per worker), all frozen out of the garbage collector's reach.
Nothing here may start a thread (a process that forks must have none): Typst's font book, Rust code, is built by
each worker (:func:`tthc.batch.steps.warm_up`, 0.01 s).
"""

from . import steps, worker

worker.preimport()
steps.warm_up(fonts=False)
steps.freeze_heap()  # the workers' collections never walk what they inherit
