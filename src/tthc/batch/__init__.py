"""Batch runs at speed: every unit report (and parent overview) of a period, in parallel, incrementally.

See ``docs/batch.md``. Entry point: :func:`tthc.batch.runner.run_batch` (CLI ``tthc batch``).
"""
