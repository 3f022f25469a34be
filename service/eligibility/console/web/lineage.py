"""What an auditor reads of a decision beside its trace: the inputs it read, each with the log entry it was read from
(as the decision's record binds them), and its lineage (the decision it replaced, the one that replaced it, the
appeal it was made for or that contests it)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import orjson

from eligibility.console.i18n import translate
from eligibility.console.reports.content import local_time
from eligibility.rules.vocabulary import Vocabulary


def inputs(record: bytes, vocab: Vocabulary, lang: str, zone: ZoneInfo) -> tuple[list[dict[str, str]], str]:
    """(one row per input: what, which (in the person's words), log entry, leaf hash (short); the context entry's
    hash) of a decision's logged record. A record made before inputs were bound names no entries (its rows say so)."""
    body = orjson.loads(record)["body"]
    read, bound = body["inputs"], body.get("bound") or {}
    rows: list[dict[str, str]] = []

    def at(ref: list[Any] | None) -> dict[str, str]:
        return {"entry": str(ref[0]), "leaf": str(ref[1])[:16]} if ref else {"entry": "", "leaf": ""}
    c = read["candidate"]
    rows.append({"what": "candidate", "which": f"{c['name']} {c['id_masked']}", **at(bound.get("candidate"))})
    refs = bound.get("flags") or []
    for i, f in enumerate(read["flags"]):
        state = translate("retracted" if f["status"] == "retracted" else "in force", lang)
        rows.append({"what": "flag", "which": f"{vocab.agency_label(f['agency'], lang)} {f['reference']} v{f['version']} "
                                              f"{state} {vocab.kind_label(f['kind'], lang)} {f['decided_on']}",
                     **at(refs[i] if i < len(refs) else None)})
    for agency, when in sorted(read.get("attestations", {}).items()):
        rows.append({"what": "attestation", "which": f"{vocab.agency_label(agency, lang)} {local_time(when, zone)}",
                     "entry": "", "leaf": ""})
    for ref in bound.get("resolutions") or []:
        rows.append({"what": "resolution", "which": "", **at(ref)})
    if bound.get("appeal"):
        rows.append({"what": "appeal", "which": "", **at(bound["appeal"])})
    return rows, str(bound.get("context", ""))
