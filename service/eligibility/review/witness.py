"""The server's own copy of its latest signed checkpoint, kept outside the database.

A database rolled back (an older backup restored, a lost write-ahead log) still verifies on its
own: every entry it has is chained and signed. What it cannot hide is that this server once
signed a longer log. So each checkpoint the server signs is also written, atomically and
durably, to HOME/state/checkpoint.json, and the server refuses to start on a log that does not
extend it (fewer entries, or other ones); a restored backup is accepted only when the operator
says so at the start (logged), and the next checkpoint then replaces the copy.
"""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from eligibility.errors import EligibilityError
from eligibility.ledger.checkpoint import Checkpoint, parse_checkpoint_body

log = logging.getLogger("eligibility.witness")
FILE = Path("state") / "checkpoint.json"


class RolledBackError(EligibilityError):
    """The log does not extend the checkpoint this server signed last."""

    code = "FAILED_PRECONDITION"


def save(home: Path, cp: Checkpoint) -> None:
    """Keep this checkpoint as the latest signed (write, fsync, rename, fsync the directory)."""
    path = home / FILE
    path.parent.mkdir(mode=0o700, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    data = orjson.dumps({"body": cp.body, "signature": base64.b64encode(cp.signature).decode()})
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def load(home: Path, key: Ed25519PublicKey) -> tuple[int, bytes, str] | None:
    """(size, root, signed at) of the kept checkpoint, or None when there is none (a new or older home)."""
    path = home / FILE
    try:
        cp = orjson.loads(path.read_bytes())
        body = str(cp["body"])
        key.verify(base64.b64decode(cp["signature"]), body.encode())
        _, size, root = parse_checkpoint_body(body)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, InvalidSignature) as e:
        raise RolledBackError(f"{path}: not a checkpoint signed by this home's log key ({e.__class__.__name__}); "
                              "restore it or remove it knowingly") from None
    signed_at = next((line[5:] for line in body.split("\n") if line.startswith("time ")), "?")
    return size, root, signed_at
