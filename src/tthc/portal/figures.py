"""Read the portal's evaluation files (spec §9, shapes A and B) into one flat row per unit × metric.

Row fields: portal_code (``departmentCode``), portal_id (``departmentId``), portal_name, metric (the portal's code;
``PROGRESS``, ``PAYMENT`` or ``ONLINE`` for a shape-B group), metric_name, grp (group id of the "2026 portal" rules),
numerator, denominator, ratio, score, max_score, and for PAYMENT the B and C parts (b_numerator, b_denominator,
c_numerator, c_denominator; numerator/denominator are A's), for PROGRESS ``overdue`` (totalOverdue). Null stays
None. Malformed files raise :class:`tthc.errors.InputError` with one line naming the file, the unit and the field.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..errors import InputError

FIELDS = ("portal_code", "portal_id", "portal_name", "metric", "metric_name", "grp", "numerator", "denominator",
          "ratio", "score", "max_score", "b_numerator", "b_denominator", "c_numerator", "c_denominator", "overdue")

#: shape-B group → (metric id, group id, the fields that identify it)
PROGRESS_FIELDS = ("totalReceived", "totalOnTime", "totalOverdue")
PAYMENT_FIELDS = ("totalDossierOnlinePaymentSuccess", "totalDossierFinancialObligation",
                  "totalDossierOnlineFormalityPaymentSuccess", "totalFeeFormality", "totalFeeDossierFormality")
#: the group of each metric code of shape A files (codes of the "2026 portal" rules); unknown codes keep grp None
_GROUP_OF = None


def group_of(code: str) -> str | None:
    global _GROUP_OF
    if _GROUP_OF is None:
        from ..engine.index766 import load_rules

        cfg = next((v for v in load_rules().versions if v.portal_codes), None)
        _GROUP_OF = {it["item"]: it["group"] for it in cfg.items} if cfg else {}
    return _GROUP_OF.get(code)


def _num(v, file: Path, where: str, field: str):
    """A published number: None stays None; numbers and numeric text are read; anything else is an error."""
    if v is None:
        return None
    if isinstance(v, bool):
        raise InputError(f"{file}: {where}: field {field!r} is {v!r}, not a number; fix the file or leave it null")
    if isinstance(v, (int, float)):
        x = float(v)
    elif isinstance(v, str) and v.strip() != "":
        try:
            x = float(v.strip().replace(",", "."))
        except ValueError:
            raise InputError(f"{file}: {where}: field {field!r} is {v!r}, not a number; fix the file or leave it "
                             f"null") from None
    elif isinstance(v, str):
        return None
    else:
        raise InputError(f"{file}: {where}: field {field!r} is {type(v).__name__}, not a number; fix the file")
    if not math.isfinite(x):
        raise InputError(f"{file}: {where}: field {field!r} is {v!r}, not a finite number; fix the file")
    return x


def _text(v):
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def _unit(u, file: Path, where: str) -> dict:
    if not isinstance(u, dict):
        raise InputError(f"{file}: {where}: expected an object with departmentCode/departmentId, got "
                         f"{type(u).__name__}; fix the file")
    code, uid = _text(u.get("departmentCode")), _text(u.get("departmentId"))
    if code is None and uid is None:
        raise InputError(f"{file}: {where}: neither departmentCode nor departmentId is given; the unit cannot be "
                         f"identified — fix the file")
    return dict(portal_code=code, portal_id=uid, portal_name=_text(u.get("departmentName")))


def _row(base: dict, **kw) -> dict:
    r = dict.fromkeys(FIELDS)
    r.update(base)
    r.update(kw)
    return r


def detect_group(u: dict) -> str | None:
    """The group of a shape-B unit object from its fields: PROGRESS, PAYMENT or ONLINE (None: unknown)."""
    if any(k in u for k in PAYMENT_FIELDS):
        return "PAYMENT"
    if any(k in u for k in PROGRESS_FIELDS):
        return "PROGRESS"
    if "ratio" in u or "totalMaxScore" in u:
        return "ONLINE"
    return None


def _shape_b(u: dict, file: Path, where: str) -> list[dict]:
    base = _unit(u, file, where)
    g = detect_group(u)
    n = lambda f: _num(u.get(f), file, where, f)  # noqa: E731
    if g == "PROGRESS":
        return [_row(base, metric="PROGRESS", grp="progress", numerator=n("totalOnTime"),
                     denominator=n("totalReceived"), overdue=n("totalOverdue"), score=n("score"),
                     max_score=n("maxScore"))]
    if g == "PAYMENT":
        mx = n("maxScore") if "maxScore" in u else n("totalMaxScore")
        return [_row(base, metric="PAYMENT", grp="payment", numerator=n("totalDossierOnlinePaymentSuccess"),
                     denominator=n("totalDossierFinancialObligation"),
                     b_numerator=n("totalDossierOnlineFormalityPaymentSuccess"), b_denominator=n("totalFeeFormality"),
                     c_numerator=n("totalFeeDossierFormality"), c_denominator=n("totalFeeFormality"),
                     score=n("totalScore") if "totalScore" in u else n("score"), max_score=mx)]
    if g == "ONLINE":
        return [_row(base, metric="ONLINE", grp="online", ratio=n("ratio"),
                     score=n("totalScore") if "totalScore" in u else n("score"),
                     max_score=n("totalMaxScore") if "totalMaxScore" in u else n("maxScore"))]
    raise InputError(f"{file}: {where}: cannot tell the group (no progress totals, payment fields or online "
                     f"ratio/totalScore); is this an evaluation file of the portal?")


def _shape_a(u: dict, file: Path, where: str) -> list[dict]:
    base = _unit(u, file, where)
    ms = u.get("metrics")
    if ms is None:
        return []
    if not isinstance(ms, list):
        raise InputError(f"{file}: {where}: 'metrics' must be a list of {{code, numerator, denominator, ...}}")
    out = []
    for j, m in enumerate(ms):
        w = f"{where}.metrics[{j}]"
        if not isinstance(m, dict) or not _text(m.get("code")):
            raise InputError(f"{file}: {w}: a metric needs a 'code'; fix the file")
        code = _text(m["code"])
        out.append(_row(base, metric=code, metric_name=_text(m.get("name")), grp=group_of(code),
                        numerator=_num(m.get("numerator"), file, w, "numerator"),
                        denominator=_num(m.get("denominator"), file, w, "denominator"),
                        ratio=_num(m.get("ratio"), file, w, "ratio"),
                        score=_num(m.get("score"), file, w, "score"),
                        max_score=_num(m.get("maxScore"), file, w, "maxScore")))
    return out


def _walk(u, file: Path, where: str, read) -> list[dict]:
    """A unit and, in tree responses, the units nested in its own ``children`` list."""
    rows = read(u, file, where)
    sub = u.get("children") if isinstance(u, dict) else None
    if isinstance(sub, list):
        for j, c in enumerate(sub):
            rows += _walk(c, file, f"{where}.children[{j}]", read)
    return rows


def parse_doc(doc, file: Path) -> tuple[str, list[dict]]:
    """(shape, rows) of a decoded evaluation response."""
    data = doc.get("data", doc) if isinstance(doc, dict) else None
    if not isinstance(data, dict):
        raise InputError(f"{file}: expected a JSON object with 'data' holding overview/evaluation (shape A) or "
                         f"parent/children (shape B); fix the file or export it again from the portal")
    rows: list[dict] = []
    if "evaluation" in data:
        ev = data["evaluation"]
        if not isinstance(ev, list):
            raise InputError(f"{file}: data.evaluation must be a list of units; fix the file")
        ov = data.get("overview")
        if isinstance(ov, dict) and isinstance(ov.get("metrics"), list) and (ov.get("departmentCode")
                                                                            or ov.get("departmentId")):
            rows += _shape_a(ov, file, "data.overview")
        for i, u in enumerate(ev):
            rows += _walk(u, file, f"data.evaluation[{i}]", _shape_a)
        return "A", rows
    if "children" in data:
        ch = data["children"]
        if not isinstance(ch, list):
            raise InputError(f"{file}: data.children must be a list of units; fix the file")
        par = data.get("parent")
        if isinstance(par, dict) and (par.get("departmentCode") or par.get("departmentId")) and detect_group(par):
            rows += _shape_b(par, file, "data.parent")
        for i, u in enumerate(ch):
            rows += _walk(u, file, f"data.children[{i}]", _shape_b)
        return "B", rows
    raise InputError(f"{file}: neither data.evaluation (shape A) nor data.children (shape B) found; is this an "
                     f"evaluation file of the portal?")


def read_file(path) -> tuple[str, list[dict], str]:
    """(shape, rows, sha256) of one evaluation file."""
    import hashlib

    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise InputError(f"{p}: cannot read the file ({e.strerror or e}); check the path") from None
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as e:
        raise InputError(f"{p}: not valid JSON ({str(e).splitlines()[0]}); save the portal's response as is") from None
    shape, rows = parse_doc(doc, p)
    return shape, rows, hashlib.sha256(raw).hexdigest()
