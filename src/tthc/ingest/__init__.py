"""Ingest: export files → validated canonical dossiers in the DuckDB warehouse (spec §2–§3).

Inputs: DVCQG-style JSON (array, ``{"data": [...]}`` or JSON Lines; map ``params/sources/dvcqg_json.yaml``), CSV and
XLSX exports with Vietnamese headers (``params/sources/motcua_hd.yaml``), and Parquet already in canonical names.
Personal fields are dropped on read: only mapped canonical columns are ever kept.

Rules:

- Every row is validated; a row with any problem goes to ``<warehouse dir>/quarantine/<ingest_id>-<file>.csv`` with
  a stable reason code (:data:`tthc.ingest.validate.REASONS`). Rows read = rows stored + rows quarantined, always.
- Duplicate ``ma_ho_so`` inside one file: identical copies are stored once (the others quarantined as
  ``duplicate``); copies with conflicting content are all quarantined (``duplicate_conflict``).
- Idempotent: a file whose sha256 was already ingested successfully changes nothing ("already ingested").
- **Replacement rule.** Each row carries a version stamp ``phien_ban`` = the latest of all its dates (ngay_nop,
  ngay_tiep_nhan, ngay_hen_tra, ngay_ket_thuc_xu_ly, ngay_tra, supplement dates). A dossier already in the warehouse
  is replaced by an incoming version when the incoming ``phien_ban`` is newer **or equal** (equal: the later ingest
  wins) and the content differs; identical content counts as *unchanged*; an incoming version with an older
  ``phien_ban`` is not stored and counts as *older* (the warehouse keeps the newer one).
- Each file is one DuckDB transaction (a crash mid-file leaves the warehouse as it was before that file); writers
  hold the lock file ``<warehouse>.lock``, so a second concurrent ingest waits, then fails with
  "another ingest is running".
"""

from __future__ import annotations

from .pipeline import IngestResult, ingest_files

__all__ = ["IngestResult", "ingest_files"]
