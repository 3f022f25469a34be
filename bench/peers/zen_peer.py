"""zen-engine (GoRules JDM): the rules as a decision graph generated from the Ruleset, evaluated with evaluate_batch.

The graph: an expression node adds the round's as_of and the name comparison to each flag; a decision table in
loop mode selects each flag's rule variant (status, agency, kind, level, term) and decides its window with zen's
own date functions (``d(decided_on).add(N, 'M')`` clamps to the month's end, as our add_months does); a decision
table (collect) runs the profile checks; an expression node gives each agency's verdict, the profile verdict and
the overall verdict. Python only normalises names (Unicode tables) and builds the JSON-like contexts.
"""

from __future__ import annotations

import json
from typing import Any

import zen

from eligibility.engine.model import PROFILE, EvalInput
from eligibility.rules.schema import Ruleset, Window

from .common import Answer, Clock, Measured, batches, iso, name_key, timed, variants

KEY = "eligibility.json"
BATCH = 1000


def _q(s: str) -> str:
    return json.dumps(s)  # a zen string literal


def _term(w: Window) -> str:
    return f"(term_months != null and term_months != 0 ? term_months : {w.default_term})"


def _window(w: Window, term: int | None) -> str:
    if w.type == "permanent":
        return ""
    if w.type == "open":
        return ("end_date != null ? d(as_of) < d(end_date) : (term_months != null and term_months != 0 ? "
                "d(as_of) < d(decided_on).add(term_months, 'M') : true)")
    assert w.months is not None
    return f"d(as_of) < d(decided_on).add({w.months + (term or 0)}, 'M')"


def _effective(start: Any, end: Any) -> str:
    cond = f"d(as_of) >= d({_q(start.isoformat())})"
    return cond + (f" and d(as_of) < d({_q(end.isoformat())})" if end else "")


def graph(ruleset: Ruleset) -> dict[str, Any]:
    """The JDM decision graph of a ruleset (every number, kind, level and date comes from the Ruleset)."""
    rows: list[dict[str, str]] = []
    for r in ruleset.rules:
        for level, w, term in variants(r):
            rows.append({
                "_id": f"{r.id}/{level}/{term}", "status": '"active"', "agency": _q(r.agency), "kind": _q(r.kind),
                "level": _q(level) if level else "", "term": f"{_term(w)} == {term}" if term is not None else "",
                "started": "d(decided_on) <= d(as_of)", "window": _window(w, term),
                "effective": _effective(r.effective_from, r.effective_to),
                "o_rule": _q(r.id), "o_i": "i", "o_agency": _q(r.agency),
                "o_verdict": "same_name ? 'FAIL' : 'REVIEW'" if r.effect == "disqualify" else "'REVIEW'"})
    flag_table = {"hitPolicy": "first", "inputField": "flags", "outputPath": "hits", "executionMode": "loop",
                  "passThrough": False,
                  "inputs": [{"id": "status", "name": "status", "field": "status"},
                             {"id": "agency", "name": "agency", "field": "agency"},
                             {"id": "kind", "name": "kind", "field": "kind"},
                             {"id": "level", "name": "level", "field": "level"},
                             {"id": "term", "name": "term"}, {"id": "started", "name": "started"},
                             {"id": "window", "name": "window"}, {"id": "effective", "name": "effective"}],
                  "outputs": [{"id": f"o_{k}", "name": k, "field": k} for k in ("rule", "i", "agency", "verdict")],
                  "rules": rows}
    prows = []
    for p in ruleset.profile:
        if p.check == "min_age":
            assert p.min_age_years is not None
            cond = f"d(as_of) < d(birth).add({12 * p.min_age_years}, 'M')"
        else:
            cond = f"not party_member and some(positions, # in [{', '.join(_q(x) for x in p.positions or ())}])"
        prows.append({"_id": p.id, "check": cond, "effective": _effective(p.effective_from, p.effective_to),
                      "o_rule": _q(p.id)})
    profile_table = {"hitPolicy": "collect", "outputPath": "profile_hits", "passThrough": False,
                     "inputs": [{"id": "check", "name": "check"}, {"id": "effective", "name": "effective"}],
                     "outputs": [{"id": "o_rule", "name": "rule", "field": "rule"}], "rules": prows}
    prepare = {"passThrough": True, "expressions": [{"id": "flags", "key": "flags", "value": (
        "map(flags, {i: #.i, agency: #.agency, kind: #.kind, level: #.level, status: #.status, "
        "decided_on: #.decided_on, end_date: #.end_date, term_months: #.term_months, "
        "same_name: #.name_key == name_key, as_of: as_of})")}]}
    exprs = [{"key": "fired", "value": "filter(hits, # != null)"},
             {"key": "profile_fired", "value": "map(profile_hits, #.rule)"}]
    for a in ruleset.agencies:
        mine = f"$.fired, #.agency == {_q(a)} and #.verdict =="
        exprs.append({"key": f"v_{a}", "value": f"some({mine} 'FAIL') ? 'FAIL' : (some({mine} 'REVIEW') ? 'REVIEW' : "
                                                f"({_q(a)} in attested ? 'PASS' : 'PENDING'))"})
    exprs.append({"key": f"v_{PROFILE}", "value": "len($.profile_fired) > 0 ? 'FAIL' : 'PASS'"})
    every = "[" + ", ".join(f"$.v_{a}" for a in (*ruleset.agencies, PROFILE)) + "]"
    exprs.append({"key": "overall", "value": f"some({every}, # == 'FAIL') ? 'INELIGIBLE' : (some({every}, # == 'REVIEW') ? "
                                             f"'NEEDS_REVIEW' : (some({every}, # == 'PENDING') ? 'PENDING' : 'ELIGIBLE'))"})
    verdicts = {"passThrough": False, "expressions": [{"id": e["key"], **e} for e in exprs]}
    nodes = [{"id": "in", "name": "request", "type": "inputNode", "content": {}},
             {"id": "prepare", "name": "prepare", "type": "expressionNode", "content": prepare},
             {"id": "flags", "name": "flag rules", "type": "decisionTableNode", "content": flag_table},
             {"id": "profile", "name": "profile checks", "type": "decisionTableNode", "content": profile_table},
             {"id": "verdicts", "name": "verdicts", "type": "expressionNode", "content": verdicts},
             {"id": "out", "name": "response", "type": "outputNode", "content": {}}]
    links = [("in", "prepare"), ("prepare", "flags"), ("flags", "verdicts"), ("in", "profile"), ("profile", "verdicts"),
             ("in", "verdicts"), ("verdicts", "out")]
    edges = [{"id": f"{a}-{b}", "sourceId": a, "targetId": b} for a, b in links]
    return {"nodes": nodes, "edges": edges}


def context(inp: EvalInput) -> dict[str, Any]:
    """One candidate as the graph's input."""
    c = inp.candidate
    return {"as_of": inp.as_of.isoformat(), "birth": c.birth_date.isoformat(), "party_member": c.party_member,
            "positions": list(c.positions), "name_key": name_key(c.name),
            "attested": [a for a, t in inp.attestations.items() if t],
            "flags": [{"i": i, "agency": f.agency, "kind": f.kind, "level": f.level, "status": f.status,
                       "decided_on": f.decided_on.isoformat(), "end_date": iso(f.end_date), "term_months": f.term_months,
                       "name_key": name_key(f.name)} for i, f in enumerate(inp.flags)]}


def answer(ruleset: Ruleset, out: dict[str, Any]) -> Answer:
    """The graph's output as an Answer."""
    firings = frozenset([(h["rule"], int(h["i"])) for h in out["fired"]] + [(r, -1) for r in out["profile_fired"]])
    verdicts = tuple(sorted((a, out[f"v_{a}"]) for a in (*ruleset.agencies, PROFILE)))
    return firings, verdicts, out["overall"]


def measure(ruleset: Ruleset, inputs: list[EvalInput]) -> Measured:
    """Evaluate every candidate with evaluate_batch, BATCH contexts a call."""
    engine = zen.ZenEngine({"loader": {"type": "static", "content": {KEY: graph(ruleset)}}})
    engine.evaluate(KEY, context(inputs[0]))  # load and compile the graph outside the timing
    requests, conv = timed(lambda: [{"key": KEY, "context": context(inp)} for inp in inputs])
    outputs: list[dict[str, Any]] = []
    with Clock() as run:
        for chunk in batches(requests, BATCH):
            for r in engine.evaluate_batch(chunk):  # type: ignore[arg-type]
                if not r.get("success"):
                    raise RuntimeError(f"zen-engine failed: {r.get('error')}")
                outputs.append(r["data"]["result"])
    return Measured(
        system=f"zen-engine {_version()} `evaluate_batch` ({BATCH:,} per call)",
        does="eval only: rule selection, windows (zen date arithmetic), verdicts per agency and overall, in the graph",
        n=len(inputs), eval_s=run.wall, eval_cpu_s=run.cpu, convert_s=conv.wall,
        answers=[answer(ruleset, o) for o in outputs],
        notes=["precomputed in Python: name keys (normalised names) only; dates go in as ISO text"])


def _version() -> str:
    from importlib.metadata import version
    return version("zen-engine")
