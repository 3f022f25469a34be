"""Offline verification of a log's entries: what it reports, by position."""

from __future__ import annotations


def test_verify_finds_a_decision_naming_a_result_no_earlier_entry_holds() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from eligibility.ledger.checkpoint import public_key_text
    from eligibility.ledger.codec import canonical, result_sha256
    from eligibility.ledger.entry import chain_entries
    from eligibility.ledger.verify import verify_log
    result = {"overall": "ELIGIBLE", "trace": [], "verdicts": {}}
    name = result_sha256(canonical(result))
    key = public_key_text(Ed25519PrivateKey.generate().public_key())
    good = chain_entries(0, b"", [("result", result), ("decision", {"decision_id": "dec-1", "result_sha256": name})])
    assert not [p for p in verify_log([e.data for e in good], [], key)[0] if "names result" in p]
    for entries in (
        chain_entries(0, b"", [("decision", {"decision_id": "dec-1", "result_sha256": name}), ("result", result)]),
        chain_entries(0, b"", [("result", {**result, "overall": "PENDING"}),
                               ("decision", {"decision_id": "dec-1", "result_sha256": name})]),
    ):
        problems, _ = verify_log([e.data for e in entries], [], key)
        assert any(p.startswith("entry ") and "decision dec-1 names result" in p and "which no earlier entry holds" in p
                   for p in problems), problems


def test_verify_finds_a_ruleset_entry_whose_content_is_not_the_version_it_names() -> None:
    import hashlib

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from eligibility.ledger.checkpoint import public_key_text
    from eligibility.ledger.codec import canonical, ruleset_body
    from eligibility.ledger.entry import chain_entries
    from eligibility.ledger.verify import verify_log
    from eligibility.rules.loader import REPO_RULES, load_ruleset_file
    rs = load_ruleset_file(REPO_RULES / "national-2021" / "ruleset.yaml")
    key = public_key_text(Ed25519PrivateKey.generate().public_key())
    good = ruleset_body(rs.name, rs.version, rs.hash, "t", rs.canonical_bytes())
    assert hashlib.sha256(canonical(good["content"])).hexdigest() == rs.hash
    edited = rs.canonical_bytes().replace(b'"months":60', b'"months":36', 1)
    assert edited != rs.canonical_bytes()
    for body, bad in ((good, False), (ruleset_body(rs.name, rs.version, rs.hash, "t", edited), True),
                      (ruleset_body(rs.name, rs.version, rs.hash, "t", None), False)):  # an entry logged by hash only
        problems, _ = verify_log([e.data for e in chain_entries(0, b"", [("ruleset", body)])], [], key)
        assert any("its content hashes otherwise" in p for p in problems) == bad, problems


def test_the_fast_canonical_form_is_rfc8785_for_every_code_point_and_falls_back_otherwise() -> None:
    import rfc8785

    from eligibility.ledger.verify import canonical_form
    # every code point below U+0800 (the escapes and the 1-2 byte forms), and a stride through the rest
    for cp in [*range(0x800), *range(0x800, 0xD800, 5), *range(0xE000, 0x110000, 17)]:
        value = {"k": chr(cp), "a": [chr(cp) * 2, -(2**53 - 1), 0, True, None], "z": {"n": 2**53 - 1}}
        assert canonical_form(value) == rfc8785.dumps(value), hex(cp)
    for value in ({"名": 1, "a": 2}, {"\U0001f600": 1, "\ue000": 2}, {"f": 1.5}, [1e21]):  # rfc8785's own encoding
        assert canonical_form(value) == rfc8785.dumps(value)
    assert canonical_form({"big": 2**53}) is None  # outside RFC 8785's integers: no canonical form
