"""The national portal's (DVCQG) published 766 figures: reading its evaluation files (:mod:`.figures`), storing them
in the warehouse (:mod:`.store`) and reconciling them with the office's own dossiers (:mod:`.reconcile`).

Spec §9: the evaluation API (``dichvucong.gov.vn/api/v1/reporting/evaluation/<group endpoint>``) answers in two
shapes — (A) ``data.overview`` + ``data.evaluation[]`` with ``metrics[]`` per unit, (B) ``data.parent`` +
``data.children[]`` with one group's totals per unit (progress, online payment, online services). A file does not
state its period (``--period`` does) and null means "not published", never 0.
"""
