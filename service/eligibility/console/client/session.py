"""The one way the console (CLI, demo, browser console) calls the server: a role's session.

Every method sends a request with the role's credential and returns plain dicts (the JSON objects
`--format json` prints), so nothing above this module builds or reads a generated message.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import orjson

from eligibility._gen.v1 import eligibility_pb2 as pb
from eligibility.console.client import dicts
from eligibility.console.client.transport import Client


class Recorded(NamedTuple):
    """A recorded decision: as a dict, its logged entry, and the entry of the shared result it names (or b"")."""

    decision: dict[str, Any]
    record: bytes
    result_record: bytes


class Export(NamedTuple):
    """What an export ends with: every checkpoint ({"body", "signature" (base64)}) and the log's public key."""

    checkpoints: list[dict[str, str]]
    public_key: str


class Session:
    """A connection to the service acting as one role."""

    def __init__(self, client: Client) -> None:
        """Use this connection."""
        self.client = client

    def close(self) -> None:
        """Close the connection."""
        self.client.close()

    def __enter__(self) -> Session:
        """Use as a context manager."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close on exit."""
        self.close()

    # ---- flags (agencies) ----
    def submit_flags(self, rows: list[dict[str, Any]], correction: bool = False,
                     reason: str = "", dry_run: bool = False) -> Iterator[list[dict[str, Any]]]:
        """Submit flag rows (column name -> text, "row" = line in the file) in chunks; each chunk's row outcomes (a
        dry run: what submitting would do, nothing stored)."""
        for chunk in self.client.submit_flags([pb.FlagInput(**r) for r in rows], correction=correction, reason=reason,
                                              dry_run=dry_run):
            yield [dicts.row_dict(r) for r in chunk]

    def retract_flag(self, reference: str, reason: str) -> dict[str, Any]:
        """Retract one of the role's flags: the version now on record and whether anything changed."""
        c = self.client
        resp = c.call(c.flags.RetractFlag, pb.RetractFlagRequest(reference=reference, reason=reason))
        return {**dicts.message_dict(resp.flag), "changed": resp.changed}

    def list_flags(self, kind: str = "", all_versions: bool = False) -> list[dict[str, Any]]:
        """The role's own flags (latest versions unless all_versions)."""
        c = self.client
        return [dicts.flag_dict(f) for chunk in c.stream(c.flags.ListFlags, pb.ListFlagsRequest(
            kind=kind, all_versions=all_versions)) for f in chunk.flags]

    # ---- rounds ----
    def create_round(self, name: str, as_of: str, rows: list[dict[str, Any]], ruleset: str = "",
                     on_chunk: Callable[[int], None] | None = None, dry_run: bool = False,
                     allow_same_name: bool = False) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Open a round with its candidate rows (uploaded in chunks): the round, and every row's outcome (a dry run:
        what creating it would do, nothing created)."""
        rnd, results = self.client.create_round(name, as_of, [pb.CandidateInput(**r) for r in rows], ruleset=ruleset,
                                                on_chunk=on_chunk, dry_run=dry_run, allow_same_name=allow_same_name)
        return dicts.message_dict(rnd), [dicts.row_dict(r) for r in results]

    def add_candidates(self, round_id: str, rows: list[dict[str, Any]], on_chunk: Callable[[int], None] | None = None,
                       dry_run: bool = False) -> list[dict[str, Any]]:
        """Add candidate rows to a round (in chunks): every row's outcome (a dry run adds nothing)."""
        return [dicts.row_dict(r) for r in self.client.add_candidates(
            round_id, [pb.CandidateInput(**r) for r in rows], on_chunk=on_chunk, dry_run=dry_run)]

    def list_rounds(self) -> list[dict[str, Any]]:
        """Every round, newest first."""
        c = self.client
        return [dicts.message_dict(r) for r in c.call(c.rounds.ListRounds, pb.ListRoundsRequest()).rounds]

    def get_round(self, round_id: str, with_changes: bool = False) -> dict[str, Any]:
        """One round with its attestations and state (with_changes: and how many candidates changed since their
        latest decision)."""
        c = self.client
        return dicts.message_dict(c.call(c.rounds.GetRound, pb.GetRoundRequest(round_id=round_id,
                                                                              with_changes=with_changes)).round)

    def changes(self, round_id: str) -> tuple[bool, list[dict[str, Any]]]:
        """(whether the round was ever screened, what arrived after each candidate's latest decision)."""
        c = self.client
        screened, out = False, []
        for chunk in c.stream(c.rounds.ListChanges, pb.ListChangesRequest(round_id=round_id)):
            screened = chunk.screened
            out += [dicts.message_dict(x) for x in chunk.changes]
        return screened, out

    def watch(self, round_id: str, hours: float = 24.0) -> Iterator[list[dict[str, Any]]]:
        """The round's changes now, then each new one as it arrives (for up to `hours`)."""
        c = self.client
        for chunk in c.stream(c.rounds.WatchRound, pb.WatchRoundRequest(round_id=round_id), timeout=hours * 3600):
            yield [dicts.message_dict(x) for x in chunk.changes]

    def conclude(self, round_id: str, note: str = "") -> dict[str, Any]:
        """Conclude a round: {"round", "concluded", "blockers", "leaf_index", "checkpoint"} (nothing is recorded while
        something blocks it)."""
        c = self.client
        r = c.call(c.rounds.ConcludeRound, pb.ConcludeRoundRequest(round_id=round_id, note=note))
        return {"round": dicts.message_dict(r.round), "concluded": r.concluded, "blockers": list(r.blockers),
                "leaf_index": r.leaf_index if r.concluded else None,
                "checkpoint": dicts.checkpoint_dict(r.checkpoint) if r.concluded else None}

    def candidates(self, round_id: str, reveal: bool = False) -> Iterator[dict[str, Any]]:
        """A round's candidates in order; full ID numbers only to an agency that asks (reveal)."""
        c = self.client
        for chunk in c.stream(c.rounds.ListCandidates, pb.ListCandidatesRequest(round_id=round_id,
                                                                               reveal_id_numbers=reveal)):
            ids = list(chunk.id_numbers)
            for i, cand in enumerate(chunk.candidates):
                yield {"seq": cand.seq, "id_number": ids[i] if ids else cand.id_number_masked, "name": cand.name,
                       "village": cand.village, "township": cand.township, "position": "+".join(cand.positions),
                       "party_member": cand.party_member}

    def attest(self, round_id: str, note: str = "", handler: str = "") -> tuple[dict[str, Any], bool]:
        """Attest that the role's agency reviewed the round (its opinion, the officer who handled it): the round, and
        whether this was the first attestation."""
        c = self.client
        resp = c.call(c.rounds.AttestReview, pb.AttestReviewRequest(round_id=round_id, note=note, handler=handler))
        return dicts.message_dict(resp.round), resp.changed

    def iter_screen_round(self, round_id: str, on_total: Callable[[int], None] | None = None,
                          on_chunk: Callable[[int], None] | None = None,
                          changed_only: bool = False) -> Iterator[dict[str, Any]]:
        """Screen a round; its decisions in candidate order, as they arrive (a province's round is never held).

        on_total(candidates) is called first when given (it costs a call); on_chunk(n) after each chunk.
        """
        c = self.client
        if on_total:
            rnd = c.call(c.rounds.GetRound, pb.GetRoundRequest(round_id=round_id, with_changes=changed_only)).round
            on_total(rnd.changed if changed_only and rnd.last_screened_at else rnd.candidates)
        results = dicts.NamedResults()
        request = pb.ScreenRoundRequest(round_id=round_id, records_only=True, changed_only=changed_only)
        for chunk in c.stream(c.rounds.ScreenRound, request):
            results.add(chunk.results)
            for r in chunk.records:
                yield dicts.decision_dict_from_entry(r, results)
            if on_chunk:
                on_chunk(len(chunk.records))

    def iter_round_decisions(self, round_id: str, every: bool = False, id_number: str = "") -> Iterator[dict[str, Any]]:
        """The latest recorded decision of each candidate of a round in candidate order, or (every, or one
        candidate's) all of them in log order, each with "supersedes": the decision of the same candidate before it
        in this listing (nothing is recorded)."""
        c = self.client
        results = dicts.NamedResults()
        before: dict[str, str] = {}
        request = pb.ListRoundDecisionsRequest(round_id=round_id, records_only=True, all=every, id_number=id_number)
        for chunk in c.stream(c.audit.ListRoundDecisions, request):
            results.add(chunk.results)
            for r in chunk.records:
                d = dicts.decision_dict_from_entry(r, results)
                person = orjson.loads(r)["body"]["inputs"]["candidate"]["person_key"] if every or id_number else ""
                d["supersedes"] = before.get(person) if every or id_number else None
                before[person] = d["decision_id"]
                yield d

    def round_has_decisions(self, round_id: str) -> bool:
        """Whether any decision is recorded for a round."""
        c = self.client
        request = pb.ListRoundDecisionsRequest(round_id=round_id, records_only=True)
        return any(chunk.records for chunk in c.stream(c.audit.ListRoundDecisions, request))

    def round_decisions(self, round_id: str) -> list[dict[str, Any]]:
        """The latest recorded decision of each candidate of a round (nothing is recorded)."""
        c = self.client
        out: list[dict[str, Any]] = []
        results = dicts.NamedResults()
        for chunk in c.stream(c.audit.ListRoundDecisions, pb.ListRoundDecisionsRequest(round_id=round_id,
                                                                                       records_only=True)):
            results.add(chunk.results)
            out.extend(dicts.decision_dict_from_entry(r, results) for r in chunk.records)
        for n, d in enumerate(out):
            d["seq"] = n
        return out

    def check(self, id_number: str, round_id: str = "", name: str = "", position: str = "", party_member: str = "",
              as_of: str = "", ruleset: str = "") -> dict[str, Any]:
        """Screen one person, a candidate of a round or ad hoc (the decision is recorded)."""
        c = self.client
        cand = pb.CandidateInput(row=1, id_number=id_number, name=name, position=position, party_member=party_member)
        return dicts.decision_dict(c.call(c.rounds.ScreenCandidate, pb.ScreenCandidateRequest(
            round_id=round_id, candidate=cand, as_of=as_of, ruleset=ruleset)).decision)

    # ---- verification (agencies) ----
    def reviews(self, round_id: str, resolved_too: bool = False) -> Iterator[dict[str, Any]]:
        """The role's REVIEW verdicts in the latest decisions of a round (resolved_too: also those it resolved)."""
        c = self.client
        for chunk in c.stream(c.reviews.ListReviews, pb.ListReviewsRequest(round_id=round_id, all=resolved_too)):
            yield from (dicts.review_dict(i) for i in chunk.items)

    def resolve(self, round_id: str, id_number: str, outcome: str, opinion: str,
                handler: str = "") -> tuple[dict[str, Any], dict[str, Any]]:
        """Record the role's conclusion on its REVIEW verdict of a candidate: the resolution, the new decision."""
        c = self.client
        resp = c.call(c.reviews.ResolveReview, pb.ResolveReviewRequest(
            round_id=round_id, id_number=id_number, outcome=outcome, opinion=opinion, handler=handler))
        return dicts.message_dict(resp.resolution), dicts.decision_dict(resp.decision)

    # ---- appeals (复核) ----
    def open_appeal(self, round_id: str, id_number: str, reason: str) -> dict[str, Any]:
        """Open an appeal against a candidate's latest decision in a round: the appeal."""
        c = self.client
        return dicts.appeal_dict(c.call(c.appeals.OpenAppeal, pb.OpenAppealRequest(
            round_id=round_id, id_number=id_number, reason=reason)).appeal)

    def appeals(self, round_id: str = "") -> list[dict[str, Any]]:
        """Appeals of a round (or of every round) the role may see, in the order opened."""
        c = self.client
        return [dicts.appeal_dict(a) for a in c.call(c.appeals.ListAppeals,
                                                      pb.ListAppealsRequest(round_id=round_id)).appeals]

    def answer_appeal(self, appeal_id: str, answer: str, opinion: str, handler: str = "") -> dict[str, Any]:
        """The role's answer to an appeal contesting its verdict: the appeal with it."""
        c = self.client
        return dicts.appeal_dict(c.call(c.appeals.AnswerAppeal, pb.AnswerAppealRequest(
            appeal_id=appeal_id, answer=answer, opinion=opinion, handler=handler)).appeal)

    def decide_appeal(self, appeal_id: str) -> dict[str, Any]:
        """Decide an answered appeal: {"appeal", "decision", "amendment_leaf_index" (None: the round was open)}."""
        c = self.client
        r = c.call(c.appeals.DecideAppeal, pb.DecideAppealRequest(appeal_id=appeal_id))
        return {"appeal": dicts.appeal_dict(r.appeal), "decision": dicts.decision_dict(r.decision),
                "amendment_leaf_index": r.amendment_leaf_index if r.amendment_leaf_index >= 0 else None}

    # ---- audit ----
    def decision(self, decision_id: str) -> Recorded:
        """A recorded decision, with its logged entry (and its shared result's)."""
        c = self.client
        got = c.call(c.audit.GetDecision, pb.GetDecisionRequest(decision_id=decision_id))
        d = got.decision
        return Recorded({**dicts.decision_dict(d), "supersedes": got.supersedes or None,
                         "superseded_by": got.superseded_by or None,
                         "made_for_appeal": dicts.appeal_dict(got.made_for) if got.HasField("made_for") else None,
                         "appealed_by": [dicts.appeal_dict(a) for a in got.appealed_by]}, d.record, d.result_record)

    def replay(self, decision_id: str) -> dict[str, Any]:
        """Replay one decision."""
        c = self.client
        return dicts.replay_dict(c.call(c.audit.ReplayDecision, pb.ReplayDecisionRequest(decision_id=decision_id)).result)

    def replay_round(self, round_id: str) -> Iterator[list[dict[str, Any]]]:
        """Replay every decision recorded for a round, in chunks."""
        c = self.client
        for chunk in c.stream(c.audit.ReplayRound, pb.ReplayRoundRequest(round_id=round_id)):
            yield [dicts.replay_dict(r) for r in chunk.results]

    def checkpoint(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Sign a checkpoint of the log now: (size, root, time), and the signed checkpoint as an auditor keeps it
        ({"body", "signature" (base64)}, the lines of an export's checkpoints.jsonl)."""
        c = self.client
        cp = c.call(c.audit.CreateCheckpoint, pb.CreateCheckpointRequest()).checkpoint
        return dicts.checkpoint_dict(cp), {"body": cp.body, "signature": base64.b64encode(cp.signature).decode()}

    def inclusion_proof(self, leaf_index: int, tree_size: int = 0) -> dict[str, Any]:
        """An entry, its audit path in a tree of tree_size (0: the newest checkpoint's, returned with it)."""
        c = self.client
        r = c.call(c.audit.GetInclusionProof, pb.GetInclusionProofRequest(leaf_index=leaf_index, tree_size=tree_size))
        cp = r.checkpoint
        return {"leaf_index": r.leaf_index, "tree_size": r.tree_size, "leaf": r.leaf, "proof": list(r.proof),
                "checkpoint": {"size": cp.size, "root": cp.root, "body": cp.body, "signature": cp.signature,
                               "created_at": cp.created_at}}

    def export_log(self, write_entry: Callable[[bytes], None]) -> Export:
        """Stream the whole log to write_entry, entry by entry; then its checkpoints and public key."""
        c = self.client
        last = None
        for chunk in c.stream(c.audit.ExportLog, pb.ExportLogRequest()):
            for e in chunk.entries:
                write_entry(e)
            if chunk.public_key:
                last = chunk
        if last is None:
            raise RuntimeError("the export ended without its checkpoints")
        return Export([{"body": cp.body, "signature": base64.b64encode(cp.signature).decode()}
                       for cp in last.checkpoints], last.public_key)

    def reevaluate(self, round_id: str, ruleset: str = "", known_at: str = "",
                   only_changed: bool = True) -> Iterator[dict[str, Any]]:
        """What-if (another ruleset) / as-known-then (records on file at a moment) comparisons of a round."""
        c = self.client
        request = pb.ReevaluateRequest(round_id=round_id, ruleset=ruleset, known_at=known_at, only_changed=only_changed)
        for chunk in c.stream(c.audit.Reevaluate, request):
            yield from (dicts.comparison_dict(x) for x in chunk.comparisons)

    # ---- rules ----
    def rulesets(self) -> list[dict[str, Any]]:
        """The rulesets the server has loaded."""
        c = self.client
        return [dicts.message_dict(r) for r in c.call(c.rules.ListRulesets, pb.ListRulesetsRequest()).rulesets]

    def rule(self, rule_id: str, ruleset: str = "") -> dict[str, Any]:
        """One rule of a loaded ruleset."""
        c = self.client
        return dicts.message_dict(c.call(c.rules.GetRule, pb.GetRuleRequest(rule_id=rule_id, ruleset=ruleset)).rule)
