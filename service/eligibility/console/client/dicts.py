"""What the server sends, as the plain dicts the console prints and files (ID numbers masked).

The JSON objects of `--format json` are these dicts; the generated message types stop here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from google.protobuf.json_format import MessageToDict

from eligibility._gen.v1 import eligibility_pb2 as pb
from eligibility.api import convert
from eligibility.errors import RecordError
from eligibility.ledger.codec import logged_result
from eligibility.rules.schema import ProfileRule, Rule, Ruleset
from eligibility.rules.vocabulary import Vocabulary


def message_dict(m: Any) -> dict[str, Any]:
    """Any message as a JSON object with proto field names."""
    return MessageToDict(m, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)


def enum_name(enum: Any, value: int, prefix: str) -> str:
    """VERDICT_PASS -> PASS."""
    return str(enum.Name(value)).removeprefix(prefix)


def decision_dict(d: pb.Decision) -> dict[str, Any]:
    """A decision as a JSON object (ID masked)."""
    return {
        "decision_id": d.decision_id, "round_id": d.round_id, "seq": d.seq, "leaf_index": d.leaf_index,
        "recorded_at": d.recorded_at,
        "as_of": d.as_of, "ruleset": d.ruleset_name, "ruleset_hash": d.ruleset_hash,
        "engine_version": d.engine_version, "name": d.candidate.name, "id_number": d.candidate.id_number_masked,
        "village": d.candidate.village, "township": d.candidate.township, "positions": list(d.candidate.positions),
        "overall": enum_name(pb.Overall, d.overall, "OVERALL_"),
        "verdicts": {v.agency: enum_name(pb.Verdict, v.verdict, "VERDICT_") for v in d.verdicts},
        "trace": [trace_dict(t) for t in d.trace],
    }


class NamedResults:
    """The shared results that records name by hash ("result_sha256"), as a stream sends them.

    Each result's hash is computed here from what was received, so a record is only ever joined
    to the result that its hash names.
    """

    def __init__(self) -> None:
        """None yet."""
        self._by_name: dict[str, dict[str, Any]] = {}

    def add(self, entries: Iterable[bytes]) -> None:
        """Keep the results of these "result" log entries."""
        for entry in entries:
            name, result = logged_result(entry)
            self._by_name[name] = result

    def of(self, record: dict[str, Any]) -> dict[str, Any]:
        """The result a decision record holds or names."""
        if "result" in record:
            return record["result"]  # type: ignore[no-any-return]
        found = self._by_name.get(record["result_sha256"])
        if found is None:
            raise RecordError(f"decision {record['decision_id']} names result {record['result_sha256'][:16]}..., "
                              "which was not sent with it")
        return found


_NO_NAMED_RESULTS = NamedResults()


def decision_dict_from_entry(entry: bytes, results: NamedResults = _NO_NAMED_RESULTS) -> dict[str, Any]:
    """A decision as a JSON object, from its logged entry (the same shape as decision_dict); the shared
    result it may name is taken from results."""
    e = orjson.loads(entry)
    r = e["body"]
    c = r["inputs"]["candidate"]
    result = results.of(r)
    return {
        "decision_id": r["decision_id"], "round_id": r["round_id"], "seq": 0, "leaf_index": e["index"],
        "recorded_at": r["recorded_at"], "as_of": r["as_of"], "ruleset": r["ruleset_name"],
        "ruleset_hash": r["ruleset_hash"], "engine_version": r["engine_version"], "name": c["name"],
        "id_number": c["id_masked"], "village": c["village"], "township": c["township"], "positions": c["positions"],
        "overall": result["overall"], "verdicts": result["verdicts"], "trace": result["trace"],
    }


def trace_dict(t: pb.TraceEntry) -> dict[str, Any]:
    """A trace entry as a JSON object."""
    out = MessageToDict(t, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
    out["verdict"] = enum_name(pb.Verdict, t.verdict, "VERDICT_")
    return out


def review_dict(i: pb.ReviewItem) -> dict[str, Any]:
    """One of an agency's review items as a JSON object (ID masked)."""
    return {"round_id": i.round_id, "decision_id": i.decision_id, "name": i.name, "id_number": i.id_number_masked,
            "township": i.township, "village": i.village, "verdict": enum_name(pb.Verdict, i.verdict, "VERDICT_"),
            "resolvable": not i.not_resolvable and i.verdict == pb.VERDICT_REVIEW, "not_resolvable": i.not_resolvable,
            "reasons": [trace_dict(t) for t in i.reasons]}


def appeal_dict(a: pb.Appeal) -> dict[str, Any]:
    """An appeal as a JSON object (ID masked; its log entry a number)."""
    return {**message_dict(a), "leaf_index": a.leaf_index}


def row_dict(r: pb.RowResult) -> dict[str, Any]:
    """What happened to one submitted row."""
    return {"row": r.row, "key": r.key, "status": enum_name(pb.RowStatus, r.status, "ROW_STATUS_"),
            "version": r.version, "errors": [{"field": e.field, "message": e.message, "code": e.code} for e in r.errors]}


def flag_status(f: pb.Flag) -> str:
    """A flag version's state as people say it."""
    if f.status == pb.FLAG_STATUS_RETRACTED:
        return "retracted"
    return "corrected" if f.version > 1 else "in force"


def flag_dict(f: pb.Flag) -> dict[str, Any]:
    """A flag version on record (the masked ID number as id_number)."""
    d = message_dict(f)
    d["status"] = flag_status(f)
    d["id_number"] = d.pop("id_number_masked")
    return d


def checkpoint_dict(cp: pb.SignedCheckpoint) -> dict[str, Any]:
    """A signed checkpoint, briefly."""
    return {"size": cp.size, "root": cp.root.hex(), "created_at": cp.created_at}


def replay_dict(r: pb.ReplayResult) -> dict[str, Any]:
    """A replay outcome."""
    return {"decision_id": r.decision_id, "name": r.name, "result": "MATCH" if r.match else "MISMATCH",
            "ruleset_hash": r.ruleset_hash, "differences": list(r.differences)}


def comparison_dict(x: pb.Comparison) -> dict[str, Any]:
    """A what-if / as-known-then comparison of one candidate."""
    return {"name": x.name, "id_number": x.id_number_masked, "township": x.township, "village": x.village,
            "before": enum_name(pb.Overall, x.before, "OVERALL_"), "after": enum_name(pb.Overall, x.after, "OVERALL_"),
            "changed": x.changed,
            "changes": {v.agency: [enum_name(pb.Verdict, v.before, "VERDICT_"), enum_name(pb.Verdict, v.after, "VERDICT_")]
                        for v in x.changes},
            "rules_added": list(x.rules_added), "rules_removed": list(x.rules_removed)}


def ruleset_dict(rs: Ruleset, default: bool) -> dict[str, Any]:
    """A ruleset as the server lists it (for the same output without a server)."""
    return message_dict(convert.ruleset(rs, default))


def rule_dict(rs: Ruleset, rule: Rule | ProfileRule, vocabulary: Vocabulary) -> dict[str, Any]:
    """A rule as the server shows it (for the same output without a server)."""
    return message_dict(convert.rule(rs, rule, vocabulary))
