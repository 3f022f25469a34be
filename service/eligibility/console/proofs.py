"""Checking, on the auditor's side, that a decision is in the signed log: its inclusion proof (and its shared
result's, when it names one) against a checkpoint whose signature is checked with the home's public key. One
function for the CLI (`audit prove`) and the browser console."""

from __future__ import annotations

from typing import Any

import orjson

from eligibility.console.client import Session
from eligibility.ledger.checkpoint import load_public_key
from eligibility.ledger.codec import logged_result
from eligibility.ledger.merkle import leaf_hash, verify_inclusion


def _included(proof: dict[str, Any], entry: bytes, signed_root: bytes) -> bool:
    return bool(proof["leaf"] == entry and verify_inclusion(leaf_hash(proof["leaf"]), proof["leaf_index"],
                                                            proof["tree_size"], proof["proof"], signed_root))


def prove(s: Session, decision_id: str, public_key_text: str) -> dict[str, Any]:
    """The proof of a decision, checked here: decision, leaf index, tree size, proof hashes, checkpoint, whether the
    decision (and its result) verify; the checkpoint's signature is checked first (a bad one raises)."""
    key = load_public_key(public_key_text)
    found = s.decision(decision_id)
    d = found.decision
    proof = s.inclusion_proof(d["leaf_index"])
    cp = proof["checkpoint"]
    key.verify(cp["signature"], cp["body"].encode())
    decision_ok = _included(proof, found.record, cp["root"])
    result: dict[str, Any] = {}
    ok = decision_ok
    if found.result_record:  # the record names a shared result: that entry must be in the same signed tree, and be it
        named = orjson.loads(found.record)["body"]["result_sha256"]
        entry = orjson.loads(found.result_record)
        of_result = s.inclusion_proof(entry["index"], proof["tree_size"])
        holds = (entry["type"] == "result" and logged_result(found.result_record)[0] == named
                 and _included(of_result, found.result_record, cp["root"]))
        ok = decision_ok and holds
        result = {"result_sha256": named, "result_leaf_index": entry["index"], "result_verified": holds}
    return {"decision_id": d["decision_id"], "leaf_index": d["leaf_index"], "tree_size": proof["tree_size"],
            "proof": [p.hex() for p in proof["proof"]], "decision_verified": decision_ok,
            "checkpoint": {"size": cp["size"], "root": cp["root"].hex(), "created_at": cp["created_at"]},
            **result, "verified": ok}
