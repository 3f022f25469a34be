"""The home's keys: read strictly, fingerprinted, and bound to the database they were made with.

A wrong key must never be used quietly: a different ID-matching key makes every person stop
matching their flags, an empty one is an unkeyed hash anyone can brute-force, and a different log
key signs checkpoints nobody can check against the published public key. So each key file must
hold exactly what it should (32 random bytes as hex; an Ed25519 private key), and the database
records each key's fingerprint when it is made (`init`, or the first start of an older home); a
start with another key is refused with one line naming the file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eligibility.errors import EligibilityError
from eligibility.store import Store

KEY_BYTES = 32


class KeyError_(EligibilityError):  # noqa: N801 - KeyError is a builtin
    """A key file that is missing, malformed, or not the key the database was made with."""

    code = "FAILED_PRECONDITION"


def read_hex_key(path: Path, what: str) -> bytes:
    """A 32-byte key kept as hex text, or KeyError_ naming the file."""
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        raise KeyError_(f"{path}: the {what} is missing; restore it from the home's backup") from None
    except (OSError, UnicodeDecodeError) as e:
        raise KeyError_(f"{path}: cannot read the {what} ({e.__class__.__name__})") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise KeyError_(f"{path}: the {what} is not a hex key") from None
    if len(key) != KEY_BYTES:
        raise KeyError_(f"{path}: the {what} has {len(key)} bytes, not {KEY_BYTES} (empty or cut short)")
    return key


def read_signing_key(path: Path) -> Ed25519PrivateKey:
    """The log's Ed25519 signing key, or KeyError_ naming the file."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), None)
    except FileNotFoundError:
        raise KeyError_(f"{path}: the log signing key is missing; restore it from the home's backup") from None
    except (OSError, ValueError, TypeError) as e:
        raise KeyError_(f"{path}: not a usable log signing key ({e.__class__.__name__})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyError_(f"{path}: the log signing key is not an Ed25519 key")
    return key


def fingerprint(key: bytes) -> str:
    """What the database records of a key: a hash that names it (a 32-byte random key cannot be guessed from it)."""
    return hashlib.sha256(b"eligibility/key-fingerprint/v1\x00" + key).hexdigest()


def bind_keys(store: Store, keys: dict[str, tuple[Path, bytes]]) -> list[str]:
    """Check each key (name -> (file, key material)) against the fingerprint its database recorded, recording the
    ones it has none of yet; returns the names recorded now. A different key raises KeyError_ naming its file."""
    recorded_now = []
    for name, (path, key) in keys.items():
        fp = fingerprint(key)
        on_record = store.setting(f"key_fingerprint.{name}")
        if on_record is None:
            store.set_setting(f"key_fingerprint.{name}", fp)
            recorded_now.append(name)
        elif on_record != fp:
            raise KeyError_(f"{path}: not the key this database was made with (fingerprint {fp[:16]}..., the "
                            f"database records {on_record[:16]}...); restore the home's own key file")
    return recorded_now
