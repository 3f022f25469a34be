"""Signed checkpoints of the log (C2SP layout): the signed text, its parsing, the public key's text form."""

from __future__ import annotations

import base64
from typing import NamedTuple

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Checkpoint(NamedTuple):
    """A signed statement: this log (origin) had this many entries with this root."""

    size: int
    root: bytes
    body: str
    signature: bytes
    created_at: str


def checkpoint_body(origin: str, size: int, root_hash: bytes, created_at: str) -> str:
    """The signed text (C2SP checkpoint layout, with the time as an extension line)."""
    return f"{origin}\n{size}\n{base64.b64encode(root_hash).decode()}\ntime {created_at}\n"


def parse_checkpoint_body(body: str) -> tuple[str, int, bytes]:
    """(origin, size, root) from a checkpoint text."""
    lines = body.split("\n")
    if len(lines) < 4 or not lines[1].isdigit():
        raise ValueError("not a checkpoint")
    return lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)


def public_key_text(key: Ed25519PublicKey) -> str:
    """The public key as base64 of its 32 raw bytes."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def load_public_key(text: str) -> Ed25519PublicKey:
    """Inverse of public_key_text."""
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text.strip(), validate=True))
