"""What an auditor reads of a decision beside its trace: the inputs it read, each with the log entry it was read from
(as the decision's record binds them), and its lineage (the decision it replaced, the one that replaced it, the
appeal it was made for or that contests it)."""

from __future__ import annotations

from typing import Any

import orjson


def inputs(record: bytes) -> tuple[list[dict[str, str]], str]:
    """(one row per input: what, which, log entry, leaf hash (short); the context entry's hash) of a decision's logged
    record. A record made before inputs were bound names no entries (its rows say so)."""
    body = orjson.loads(record)["body"]
    read, bound = body["inputs"], body.get("bound") or {}
    rows: list[dict[str, str]] = []

    def at(ref: list[Any] | None) -> dict[str, str]:
        return {"entry": str(ref[0]), "leaf": str(ref[1])[:16]} if ref else {"entry": "", "leaf": ""}
    c = read["candidate"]
    rows.append({"what": "candidate", "which": f"{c['name']} {c['id_masked']}", **at(bound.get("candidate"))})
    refs = bound.get("flags") or []
    for i, f in enumerate(read["flags"]):
        rows.append({"what": "flag", "which": f"{f['agency']} {f['reference']} v{f['version']} {f['status']} "
                                              f"{f['kind']} {f['decided_on']}",
                     **at(refs[i] if i < len(refs) else None)})
    for agency, when in sorted(read.get("attestations", {}).items()):
        rows.append({"what": "attestation", "which": f"{agency} {when}", "entry": "", "leaf": ""})
    for ref in bound.get("resolutions") or []:
        rows.append({"what": "resolution", "which": "", **at(ref)})
    if bound.get("appeal"):
        rows.append({"what": "appeal", "which": "", **at(bound["appeal"])})
    return rows, str(bound.get("context", ""))
