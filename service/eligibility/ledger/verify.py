"""Offline verification of an exported log: needs the files and the public key, nothing from the server.

Checks, and reports by position: every entry is RFC 8785 canonical JSON (see canonical_form), names
its own index and its predecessor's leaf hash; every checkpoint's Ed25519 signature; every
checkpoint's root recomputed from the entries (so consecutive checkpoints are consistent: both
are roots of prefixes of the same entries); sizes never shrink; the log extends every trusted
checkpoint (RFC 9162 consistency proof to the last one); every entry is covered by the last
checkpoint; every decision that names a shared result by hash ("result_sha256") follows a
"result" entry holding exactly that result, and every decision bound to its inputs follows the
"context" entry it names; every ruleset entry that holds its content (those logged since rulesets
were) hashes to the version it names. (Whether each decision follows from the inputs it names is
replay's to check: logreplay.py.)
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from eligibility.ledger.checkpoint import load_public_key, parse_checkpoint_body
from eligibility.ledger.codec import result_sha256
from eligibility.ledger.merkle import PrefixRoots, consistency_proof, leaf_hash, root, verify_consistency

LEAVES = "leaves.jsonl"
CHECKPOINTS = "checkpoints.jsonl"
PUBLIC_KEY = "log.pub"
READ_BUFFER = 1 << 20
"""Bytes read from an export's leaves at a time: lines of a few KB are found twice as fast as with the default 8 KB."""


_SAFE = 2**53 - 1


def _plain(obj: Any) -> bool:
    """Whether a parsed JSON value holds only objects with ASCII keys, arrays, strings, booleans, null and integers
    within RFC 8785's range: no float, no key whose UTF-16 order could differ from its code point order."""
    stack = [obj]
    while stack:
        x = stack.pop()
        if type(x) is dict:
            if not "".join(x).isascii():
                return False
            values: Iterable[Any] = x.values()
        else:
            values = x
        for v in values:
            t = type(v)
            if t is str or t is bool or v is None:
                continue
            if t is dict or t is list:
                stack.append(v)
            elif t is not int or not -_SAFE <= v <= _SAFE:
                return False
    return True


def canonical_form(parsed: Any) -> bytes | None:
    """The RFC 8785 encoding of a parsed JSON value (None if it has none, e.g. an integer out of range).

    For a value of the kind every entry of ours is (_plain), orjson's sorted output is exactly RFC 8785: the
    same escapes for every code point, integers as digits, keys in code point order, which for ASCII keys is
    RFC 8785's UTF-16 order (tests/unit/ledger/test_verify.py checks this against the independent `rfc8785`
    library over every code point); any other value is encoded by `rfc8785` itself (slower: pure Python)."""
    if _plain(parsed):
        return orjson.dumps(parsed, option=orjson.OPT_SORT_KEYS)
    try:
        return rfc8785.dumps(parsed)
    except rfc8785.CanonicalizationError:
        return None


def read_checkpoints(path: Path) -> list[dict[str, str]]:
    """Checkpoints kept as JSON lines ({"body", "signature" (base64)}): an export's, or one kept by an auditor."""
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def verify_export(directory: Path, public_key: str | None = None,
                  trusted: list[dict[str, str]] | None = None) -> tuple[list[str], dict[str, int]]:
    """Return (problems, figures) for an export directory; no problems means everything holds.

    trusted: checkpoints kept from earlier (an auditor's, or an older export's); the log must extend each.
    """
    key = public_key if public_key is not None else (directory / PUBLIC_KEY).read_text()
    checkpoints = read_checkpoints(directory / CHECKPOINTS)
    with (directory / LEAVES).open("rb", buffering=READ_BUFFER) as f:
        return verify_log((line.rstrip(b"\n") for line in f), checkpoints, key, trusted or [])


def verify_log(entries: Iterable[bytes], checkpoints: list[dict[str, str]], public_key: str,
               trusted: list[dict[str, str]] | None = None) -> tuple[list[str], dict[str, int]]:
    """Verify entries (in order) and checkpoints ({"body", "signature" (base64)}) with the public key, and that the
    log extends every trusted checkpoint (no rollback, no fork)."""
    problems: list[str] = []
    key = load_public_key(public_key)
    hashes: list[bytes] = []
    results: set[str] = set()  # the hashes of the results logged so far
    contexts: set[str] = set()  # and of the contexts
    prev = b""
    for position, data in enumerate(entries):
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError:
            problems.append(f"entry {position}: not JSON")
            hashes.append(leaf_hash(data))
            prev = hashes[-1]
            continue
        if canonical_form(parsed) != data:
            problems.append(f"entry {position}: not canonical JSON (RFC 8785)")
        if parsed.get("index") != position:
            problems.append(f"entry {position}: says it is entry {parsed.get('index')} (an entry was removed, "
                            "inserted or moved here)")
        if parsed.get("prev") != prev.hex():
            problems.append(f"entry {position}: does not follow entry {position - 1} (hash chain broken: the "
                            "previous entry was changed, removed or reordered)")
        kind, body = parsed.get("type"), parsed.get("body")
        if kind == "result":
            results.add(result_sha256(canonical_form(body) or b""))
        elif kind == "context":
            contexts.add(hashlib.sha256(canonical_form(body) or b"").hexdigest())
        elif kind == "ruleset" and isinstance(body, dict) and "content" in body:
            if hashlib.sha256(canonical_form(body["content"]) or b"").hexdigest() != body.get("hash"):
                problems.append(f"entry {position}: ruleset {body.get('name')} says it is version "
                                f"{str(body.get('hash'))[:12]}, but its content hashes otherwise")
        elif kind == "decision" and isinstance(body, dict):
            name = body.get("result_sha256")
            if "result" not in body and name not in results:
                problems.append(f"entry {position}: decision {body.get('decision_id')} names result {str(name)[:16]}..., "
                                "which no earlier entry holds")
            bound = body.get("bound")
            if isinstance(bound, dict) and bound.get("context") not in contexts:
                problems.append(f"entry {position}: decision {body.get('decision_id')} names context "
                                f"{str(bound.get('context'))[:16]}..., which no earlier entry holds")
        hashes.append(leaf_hash(data))
        prev = hashes[-1]
    last_size, last_root, last_time = 0, root([]), ""
    roots = PrefixRoots(hashes)
    origin0 = ""
    for n, cp in enumerate(checkpoints):
        body = str(cp.get("body", ""))
        try:
            key.verify(base64.b64decode(cp.get("signature", "")), body.encode())
        except (InvalidSignature, ValueError):
            problems.append(f"checkpoint {n}: bad signature")
            continue
        origin, size, signed_root = parse_checkpoint_body(body)
        signed_at = next((line[5:] for line in body.split("\n") if line.startswith("time ")), "")
        if signed_at < last_time:
            problems.append(f"checkpoint {n}: signed at {signed_at}, before checkpoint {n - 1} (checkpoints reordered)")
        last_time = max(last_time, signed_at)
        origin0 = origin0 or origin
        if origin != origin0:
            problems.append(f"checkpoint {n}: from another log ({origin!r}, expected {origin0!r})")
        if size < last_size:
            problems.append(f"checkpoint {n}: size {size} is smaller than the previous checkpoint's {last_size}")
            continue
        if size > len(hashes):
            problems.append(f"checkpoint {n}: covers {size} entries but the log has {len(hashes)} (entries removed)")
            continue
        # (each root is computed from the same entries, so consecutive checkpoints that both match are consistent:
        # a proof between them, built from these entries, could not fail)
        actual = roots(size)
        if actual != signed_root:
            problems.append(f"checkpoint {n}: root of the first {size} entries does not match the signed root")
            continue
        last_size, last_root = size, actual
    problems += _extends(trusted or [], hashes, roots, key, origin0, last_size, last_root)
    if not checkpoints:
        problems.append("no checkpoint: nothing is signed")
    elif last_size < len(hashes):
        problems.append(f"entries {last_size}..{len(hashes) - 1} are not covered by any signed checkpoint")
    return problems, {"entries": len(hashes), "checkpoints": len(checkpoints)}


def _extends(trusted: list[dict[str, str]], hashes: list[bytes], roots: PrefixRoots, key: Ed25519PublicKey, origin: str,
             last_size: int, last_root: bytes) -> list[str]:
    """Problems unless the log (its leaf hashes, its last good checkpoint) is an append-only extension of each trusted
    checkpoint: its first entries are exactly the ones that were signed, shown by an RFC 9162 consistency proof."""
    problems = []
    for n, cp in enumerate(trusted):
        body = str(cp.get("body", ""))
        try:
            key.verify(base64.b64decode(cp.get("signature", "")), body.encode())
            cp_origin, size, signed_root = parse_checkpoint_body(body)
        except (InvalidSignature, ValueError):
            problems.append(f"trusted checkpoint {n}: not signed by this log's key")
            continue
        signed_at = next((line[5:] for line in body.split("\n") if line.startswith("time ")), "?")
        what = f"trusted checkpoint {n} ({size} entries, signed {signed_at})"
        if origin and cp_origin != origin:
            problems.append(f"{what}: from another log ({cp_origin!r}, this one is {origin!r})")
        elif size > len(hashes):
            problems.append(f"{what}: the log has only {len(hashes)} entries: it was rolled back (entries removed "
                            "since that checkpoint)")
        elif roots(size) != signed_root:
            problems.append(f"{what}: the log's first {size} entries are not the ones signed then: the log was forked "
                            "or rewritten")
        elif 0 < size < last_size and not verify_consistency(size, last_size, signed_root, last_root,
                                                              consistency_proof(hashes[:last_size], size)):
            problems.append(f"{what}: no consistency proof to the log's last checkpoint")
    return problems
