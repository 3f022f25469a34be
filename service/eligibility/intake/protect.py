"""ID-number protection: keyed matching (HMAC-SHA256), encryption at rest (AES-GCM), masking.

A plain hash of an 18-digit ID number is brute-forceable (about 10^11 plausible values), so
persons are matched by HMAC under a secret key; the raw number is kept only encrypted, for the
agencies that need it to check their records. Both keys live in the home's keys/ directory,
never in the database and never in logs.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from eligibility.intake.idnumbers import mask

_AAD = b"eligibility/id_number/v1"


class IdProtector:
    """Match, seal and unseal ID numbers with the home's keys."""

    def __init__(self, hmac_key: bytes, enc_key: bytes) -> None:
        """Keys: 32 random bytes each."""
        self._hmac_key = hmac_key
        self._aead = AESGCM(enc_key)

    def person_key(self, id_number: str) -> str:
        """The keyed hash that stands for a person everywhere in the database."""
        return hmac.new(self._hmac_key, id_number.encode(), hashlib.sha256).hexdigest()

    def seal(self, id_number: str) -> bytes:
        """Encrypt an ID number (random nonce || ciphertext)."""
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, id_number.encode(), _AAD)

    def unseal(self, blob: bytes) -> str:
        """Decrypt a sealed ID number."""
        return self._aead.decrypt(blob[:12], blob[12:], _AAD).decode()

    @staticmethod
    def mask(id_number: str) -> str:
        """First 6 + last 4."""
        return mask(id_number)
