"""Thin servicers: decode, one App call, encode. Errors are mapped in status.py."""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from eligibility._gen.v1 import eligibility_pb2 as pb
from eligibility._gen.v1 import eligibility_pb2_grpc as pbg
from eligibility.api import convert
from eligibility.api.auth import current_role
from eligibility.api.idempotency import idempotency_key, idempotent, once, request_digest
from eligibility.api.status import mapped, mapped_stream
from eligibility.review.app import App

CHUNK = 1000


class FlagServicer(pbg.FlagServiceServicer):
    """Agencies' flags."""

    def __init__(self, app: App) -> None:
        """Serve flags of this app."""
        self.app = app

    @mapped
    def SubmitFlags(self, request: pb.SubmitFlagsRequest, context: grpc.ServicerContext) -> pb.SubmitFlagsResponse:
        """Submit many flags, once per idempotency key (the use case remembers its outcomes itself)."""
        key = idempotency_key(context)
        response = pb.SubmitFlagsResponse()
        self.app.submit_flags(current_role(), convert.Rows(request.flags, convert.flag_row), request.correction,
                              request.reason, (key, request_digest(request)) if key and not request.dry_run else None,
                              lambda outcomes: convert.row_results(outcomes, response.results), request.dry_run)
        return response

    @mapped
    @idempotent
    def RetractFlag(self, request: pb.RetractFlagRequest, context: grpc.ServicerContext) -> pb.RetractFlagResponse:
        """Retract a flag."""
        flag, changed = self.app.retract_flag(current_role(), request.reference, request.reason)
        return pb.RetractFlagResponse(flag=convert.flag(flag), changed=changed)

    @mapped_stream
    def ListFlags(self, request: pb.ListFlagsRequest, context: grpc.ServicerContext) -> Iterator[pb.ListFlagsResponse]:
        """List own flags in chunks."""
        chunk: list[pb.Flag] = []
        for f in self.app.list_flags(current_role(), request.kind, request.all_versions):
            chunk.append(convert.flag(f))
            if len(chunk) >= CHUNK:
                yield pb.ListFlagsResponse(flags=chunk)
                chunk = []
        yield pb.ListFlagsResponse(flags=chunk)


class RoundServicer(pbg.RoundServiceServicer):
    """Rounds, candidates, attestations, screening."""

    def __init__(self, app: App) -> None:
        """Serve rounds of this app."""
        self.app = app

    @mapped
    def CreateRound(self, request: pb.CreateRoundRequest, context: grpc.ServicerContext) -> pb.CreateRoundResponse:
        """Create a round."""
        if not request.dry_run:  # (before the write transaction of an idempotent request)
            self.app.expect_candidates(len(request.candidates))
        return once(self.app.store, "CreateRound", request, context, lambda: self._create_round(request))

    def _create_round(self, request: pb.CreateRoundRequest) -> pb.CreateRoundResponse:
        response = pb.CreateRoundResponse()
        info, _ = self.app.create_round(current_role(), request.name, request.as_of, request.ruleset,
                                        convert.Rows(request.candidates, convert.candidate_row),
                                        lambda outcomes: convert.row_results(outcomes, response.results),
                                        dry_run=request.dry_run, allow_same_name=request.allow_same_name)
        response.round.CopyFrom(convert.round_(info))
        return response

    @mapped
    def AddCandidates(self, request: pb.AddCandidatesRequest, context: grpc.ServicerContext) -> pb.AddCandidatesResponse:
        """Add candidates."""
        if not request.dry_run:
            self.app.expect_candidates(len(request.candidates))
        return once(self.app.store, "AddCandidates", request, context, lambda: self._add_candidates(request))

    def _add_candidates(self, request: pb.AddCandidatesRequest) -> pb.AddCandidatesResponse:
        response = pb.AddCandidatesResponse()
        self.app.add_candidates(request.round_id, convert.Rows(request.candidates, convert.candidate_row),
                                lambda outcomes: convert.row_results(outcomes, response.results), request.dry_run)
        return response

    @mapped
    def GetRound(self, request: pb.GetRoundRequest, context: grpc.ServicerContext) -> pb.GetRoundResponse:
        """Describe a round."""
        return pb.GetRoundResponse(round=convert.round_(self.app.get_round(request.round_id,
                                                                           with_changes=request.with_changes)))

    @mapped
    def ListRounds(self, request: pb.ListRoundsRequest, context: grpc.ServicerContext) -> pb.ListRoundsResponse:
        """List rounds."""
        return pb.ListRoundsResponse(rounds=[convert.round_(r) for r in self.app.list_rounds()])

    @mapped_stream
    def ListCandidates(self, request: pb.ListCandidatesRequest,
                       context: grpc.ServicerContext) -> Iterator[pb.ListCandidatesResponse]:
        """A round's candidates; full ID numbers only to agencies that ask (they check their records by it)."""
        reveal = request.reveal_id_numbers and current_role() in self.app.vocabulary.agencies
        for batch in self.app.list_candidates(request.round_id):
            yield pb.ListCandidatesResponse(candidates=[convert.stored_candidate(c) for c in batch],
                                            id_numbers=[self.app.reveal(c) for c in batch] if reveal else [])

    @mapped
    @idempotent
    def AttestReview(self, request: pb.AttestReviewRequest, context: grpc.ServicerContext) -> pb.AttestReviewResponse:
        """Attest a review."""
        info, changed = self.app.attest(current_role(), request.round_id, request.note, request.handler)
        return pb.AttestReviewResponse(round=convert.round_(info), changed=changed)

    @mapped_stream
    def ScreenRound(self, request: pb.ScreenRoundRequest,
                    context: grpc.ServicerContext) -> Iterator[pb.ScreenRoundResponse]:
        """Screen a round; decisions stream back in chunks as they are recorded."""
        sent: set[int] = set()
        for batch in self.app.screen_round(request.round_id, still_wanted=context.is_active,
                                           changed_only=request.changed_only):
            if request.records_only:
                yield pb.ScreenRoundResponse(records=[d.data for d in batch], results=convert.new_results(batch, sent))
            else:
                yield pb.ScreenRoundResponse(decisions=[convert.decision(d, not request.omit_records) for d in batch])

    @mapped
    @idempotent
    def ScreenCandidate(self, request: pb.ScreenCandidateRequest,
                        context: grpc.ServicerContext) -> pb.ScreenCandidateResponse:
        """Screen one candidate."""
        decided = self.app.screen_candidate(request.round_id, convert.candidate_row(request.candidate),
                                            request.as_of, request.ruleset)
        return pb.ScreenCandidateResponse(decision=convert.decision(decided))

    @mapped_stream
    def ListChanges(self, request: pb.ListChangesRequest, context: grpc.ServicerContext) -> Iterator[pb.ListChangesResponse]:
        """What arrived after each candidate's latest decision."""
        screened, changes = self.app.round_changes(request.round_id)
        for i in range(0, max(len(changes), 1), CHUNK):
            yield pb.ListChangesResponse(changes=[convert.change(c) for c in changes[i:i + CHUNK]], screened=screened)

    @mapped_stream
    def WatchRound(self, request: pb.WatchRoundRequest, context: grpc.ServicerContext) -> Iterator[pb.WatchRoundResponse]:
        """Changes as they arrive, until the caller goes away."""
        for batch in self.app.watch_round(request.round_id, still_wanted=context.is_active):
            yield pb.WatchRoundResponse(changes=[convert.change(c) for c in batch])

    @mapped
    @idempotent
    def ConcludeRound(self, request: pb.ConcludeRoundRequest, context: grpc.ServicerContext) -> pb.ConcludeRoundResponse:
        """Conclude a round, or say what blocks it."""
        info, blockers, at, cp = self.app.conclude_round(current_role(), request.round_id, request.note)
        return pb.ConcludeRoundResponse(round=convert.round_(info), concluded=not blockers, blockers=blockers,
                                        leaf_index=at, checkpoint=convert.checkpoint(cp) if cp else None)


class AuditServicer(pbg.AuditServiceServicer):
    """Decisions and replay."""

    def __init__(self, app: App) -> None:
        """Serve audits of this app."""
        self.app = app

    @mapped
    def GetDecision(self, request: pb.GetDecisionRequest, context: grpc.ServicerContext) -> pb.GetDecisionResponse:
        """Fetch a decision."""
        decided = self.app.get_decision(request.decision_id)
        before, after = self.app.lineage(request.decision_id)
        made_for, against = self.app.decision_appeals(decided)
        return pb.GetDecisionResponse(decision=convert.decision(decided), supersedes=before, superseded_by=after,
                                      made_for=convert.appeal(*made_for) if made_for else None,
                                      appealed_by=[convert.appeal(*a) for a in against])

    @mapped
    def ReplayDecision(self, request: pb.ReplayDecisionRequest,
                       context: grpc.ServicerContext) -> pb.ReplayDecisionResponse:
        """Replay a decision."""
        return pb.ReplayDecisionResponse(result=convert.replay_result(self.app.replay_decision(request.decision_id)))

    @mapped_stream
    def ReplayRound(self, request: pb.ReplayRoundRequest,
                    context: grpc.ServicerContext) -> Iterator[pb.ReplayRoundResponse]:
        """Replay a round."""
        for batch in self.app.replay_round(request.round_id):
            yield pb.ReplayRoundResponse(results=[convert.replay_result(o) for o in batch])

    @mapped_stream
    def ListRoundDecisions(self, request: pb.ListRoundDecisionsRequest,
                           context: grpc.ServicerContext) -> Iterator[pb.ListRoundDecisionsResponse]:
        """Recorded decisions of a round."""
        sent: set[int] = set()
        for batch in self.app.round_decisions(request.round_id, request.all, request.id_number):
            if request.records_only:
                yield pb.ListRoundDecisionsResponse(records=[d.data for d in batch],
                                                    results=convert.new_results(batch, sent))
            else:
                yield pb.ListRoundDecisionsResponse(decisions=[convert.decision(d, False) for d in batch])

    @mapped
    def CreateCheckpoint(self, request: pb.CreateCheckpointRequest,
                         context: grpc.ServicerContext) -> pb.CreateCheckpointResponse:
        """Sign a checkpoint now."""
        return pb.CreateCheckpointResponse(checkpoint=convert.checkpoint(self.app.checkpoint()))

    @mapped
    def GetInclusionProof(self, request: pb.GetInclusionProofRequest,
                          context: grpc.ServicerContext) -> pb.GetInclusionProofResponse:
        """Audit path of one entry."""
        cp, size, leaf, proof = self.app.inclusion_proof(request.leaf_index, request.tree_size)
        return pb.GetInclusionProofResponse(leaf_index=request.leaf_index, tree_size=size, leaf=leaf, proof=proof,
                                            checkpoint=convert.checkpoint(cp) if cp else None)

    @mapped
    def GetConsistencyProof(self, request: pb.GetConsistencyProofRequest,
                            context: grpc.ServicerContext) -> pb.GetConsistencyProofResponse:
        """Consistency proof between two sizes."""
        return pb.GetConsistencyProofResponse(proof=self.app.consistency_proof(request.first, request.second))

    @mapped_stream
    def ExportLog(self, request: pb.ExportLogRequest, context: grpc.ServicerContext) -> Iterator[pb.ExportLogResponse]:
        """The whole log, then the checkpoints and the public key."""
        entries, cps, key = self.app.export_log()
        for batch in entries:
            yield pb.ExportLogResponse(entries=[data for _, data in batch])
        yield pb.ExportLogResponse(checkpoints=[convert.checkpoint(c) for c in cps], public_key=key)

    @mapped_stream
    def Reevaluate(self, request: pb.ReevaluateRequest, context: grpc.ServicerContext) -> Iterator[pb.ReevaluateResponse]:
        """What-if / as-known-then comparisons."""
        now_rs, then_rs, batches = self.app.reevaluate(request.round_id, request.ruleset, request.known_at)
        for batch in batches:
            yield pb.ReevaluateResponse(
                comparisons=[convert.comparison(c) for c in batch if c.changed or not request.only_changed],
                before_ruleset_hash=now_rs.hash, after_ruleset_hash=then_rs.hash)


class ReviewServicer(pbg.ReviewServiceServicer):
    """The agencies' verification of their REVIEW verdicts."""

    def __init__(self, app: App) -> None:
        """Serve reviews of this app."""
        self.app = app

    @mapped_stream
    def ListReviews(self, request: pb.ListReviewsRequest, context: grpc.ServicerContext) -> Iterator[pb.ListReviewsResponse]:
        """The calling agency's REVIEW verdicts in a round."""
        for batch in self.app.review_list(current_role(), request.round_id, request.all):
            yield pb.ListReviewsResponse(items=[convert.review_item(i) for i in batch])

    @mapped
    @idempotent
    def ResolveReview(self, request: pb.ResolveReviewRequest, context: grpc.ServicerContext) -> pb.ResolveReviewResponse:
        """Record the calling agency's conclusion on one of its REVIEW verdicts; the candidate screened again."""
        res, at, decided = self.app.resolve_review(current_role(), request.round_id, request.id_number, request.outcome,
                                                   request.opinion, request.handler)
        return pb.ResolveReviewResponse(resolution=convert.resolution(res, at), decision=convert.decision(decided))


class AppealServicer(pbg.AppealServiceServicer):
    """Appeals (复核): opened by the district, answered by the contested agencies, decided by screening again."""

    def __init__(self, app: App) -> None:
        """Serve appeals of this app."""
        self.app = app

    @mapped
    @idempotent
    def OpenAppeal(self, request: pb.OpenAppealRequest, context: grpc.ServicerContext) -> pb.OpenAppealResponse:
        """Open an appeal against a candidate's latest decision."""
        a, at = self.app.open_appeal(current_role(), request.round_id, request.id_number, request.reason)
        return pb.OpenAppealResponse(appeal=convert.appeal(a, at, "", []))

    @mapped
    def ListAppeals(self, request: pb.ListAppealsRequest, context: grpc.ServicerContext) -> pb.ListAppealsResponse:
        """Appeals of a round (an agency: those contesting its verdicts)."""
        return pb.ListAppealsResponse(appeals=[convert.appeal(*found)
                                               for found in self.app.appeal_list(current_role(), request.round_id)])

    @mapped
    @idempotent
    def AnswerAppeal(self, request: pb.AnswerAppealRequest, context: grpc.ServicerContext) -> pb.AnswerAppealResponse:
        """A contested agency's answer."""
        self.app.answer_appeal(current_role(), request.appeal_id, request.answer, request.opinion, request.handler)
        return pb.AnswerAppealResponse(appeal=convert.appeal(*self.app.get_appeal(request.appeal_id)))

    @mapped
    @idempotent
    def DecideAppeal(self, request: pb.DecideAppealRequest, context: grpc.ServicerContext) -> pb.DecideAppealResponse:
        """Screen the candidate again for an answered appeal; amend a concluded round's conclusion."""
        a, decided, amended = self.app.decide_appeal(current_role(), request.appeal_id)
        return pb.DecideAppealResponse(appeal=convert.appeal(*self.app.get_appeal(a.appeal_id)),
                                       decision=convert.decision(decided),
                                       amendment_leaf_index=amended)


class RulesServicer(pbg.RulesServiceServicer):
    """Loaded rulesets."""

    def __init__(self, app: App) -> None:
        """Serve rules of this app."""
        self.app = app

    @mapped
    def ListRulesets(self, request: pb.ListRulesetsRequest, context: grpc.ServicerContext) -> pb.ListRulesetsResponse:
        """List rulesets."""
        default = self.app.registry.default_name
        return pb.ListRulesetsResponse(rulesets=[convert.ruleset(r, r.name == default) for r in self.app.rulesets()])

    @mapped
    def GetRule(self, request: pb.GetRuleRequest, context: grpc.ServicerContext) -> pb.GetRuleResponse:
        """Show a rule."""
        rs, rule = self.app.rule(request.rule_id, request.ruleset)
        return pb.GetRuleResponse(rule=convert.rule(rs, rule, self.app.vocabulary))  # type: ignore[arg-type]
