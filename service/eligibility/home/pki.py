"""The home's certificate authority: server and per-role client certificates, export, revocation.

The role is read from exactly one field: the client certificate's Subject commonName (CN). Client
certificates carry no subjectAltName, and the server parses the presented certificate itself rather
than trusting gRPC's "peer identity" (which is the SAN whenever one exists).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import secrets
from pathlib import Path

import orjson
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from eligibility.errors import EligibilityError, InvalidInputError, NotFoundError

ORG = "eligibility"
VALID_DAYS = 825


def _write(path: Path, data: bytes, secret: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if secret else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class Authority:
    """The CA under HOME/tls and the credentials it issues under HOME/credentials."""

    def __init__(self, home: Path) -> None:
        """Use the CA of a home."""
        self.home = home
        self.tls = home / "tls"
        self.creds = home / "credentials"

    @property
    def digests_path(self) -> Path:
        """role -> sha256 of its plaintext-mode token (loopback debugging only)."""
        return self.creds / "digests.json"

    def issue_token(self, role: str) -> Path:
        """A new plaintext-mode token for a role (the one it replaces no longer works, without a restart)."""
        token = f"{role}.{secrets.token_urlsafe(32)}"
        _write(self.creds / role / "token", token.encode(), secret=True)
        self._set_digest(role, hashlib.sha256(token.encode()).hexdigest())
        return self.creds / role / "token"

    def revoke_token(self, role: str) -> bool:
        """Take back a role's plaintext-mode token; whether it had one."""
        (self.creds / role / "token").unlink(missing_ok=True)
        return self._set_digest(role, None)

    def _set_digest(self, role: str, value: str | None) -> bool:
        digests: dict[str, str] = orjson.loads(self.digests_path.read_bytes()) if self.digests_path.exists() else {}
        had = role in digests
        if value is None:
            digests.pop(role, None)
        else:
            digests[role] = value
        tmp = self.digests_path.with_suffix(".tmp")
        _write(tmp, orjson.dumps(digests, option=orjson.OPT_INDENT_2), secret=True)
        os.replace(tmp, self.digests_path)
        return had

    @property
    def revoked_path(self) -> Path:
        """serial (hex) -> {role, revoked_at}."""
        return self.tls / "revoked.json"

    def create(self, hosts: list[str]) -> None:
        """Create the CA and the server certificate (SANs: hosts, localhost, 127.0.0.1, ::1)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        name = _name("eligibility local CA")
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + dt.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                             content_commitment=False, key_encipherment=False, data_encipherment=False,
                                             key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
                .sign(key, hashes.SHA256()))
        _write(self.tls / "ca.key", _key_pem(key), secret=True)
        _write(self.tls / "ca.pem", cert.public_bytes(serialization.Encoding.PEM))
        _write(self.revoked_path, b"{}")
        sans: list[x509.GeneralName] = []
        for h in dict.fromkeys(["localhost", "127.0.0.1", "::1", *hosts]):
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(h)))
            except ValueError:
                sans.append(x509.DNSName(h))
        skey, scert = self._issue("eligibility server", sans, ExtendedKeyUsageOID.SERVER_AUTH)
        _write(self.tls / "server.key", skey, secret=True)
        _write(self.tls / "server.pem", scert)

    def _issue(self, cn: str, sans: list[x509.GeneralName], usage: x509.ObjectIdentifier) -> tuple[bytes, bytes]:
        ca_key = serialization.load_pem_private_key((self.tls / "ca.key").read_bytes(), None)
        ca_cert = x509.load_pem_x509_certificate((self.tls / "ca.pem").read_bytes())
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca_cert.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=VALID_DAYS))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        return _key_pem(key), cert.public_bytes(serialization.Encoding.PEM)

    def issue_client(self, role: str) -> Path:
        """Issue (or re-issue) a role's client credential; returns its directory."""
        key, cert = self._issue(role, [], ExtendedKeyUsageOID.CLIENT_AUTH)
        d = self.creds / role
        _write(d / "client.key", key, secret=True)
        _write(d / "client.pem", cert)
        _write(d / "ca.pem", (self.tls / "ca.pem").read_bytes())
        return d

    def revoke(self, role: str) -> str:
        """Revoke a role's current certificate (by serial); returns the serial. Takes effect without restart."""
        pem = self.creds / role / "client.pem"
        if not pem.exists():
            raise NotFoundError(f"no credential for role {role}")
        serial = format(x509.load_pem_x509_certificate(pem.read_bytes()).serial_number, "x")
        revoked = self.revoked()
        revoked[serial] = {"role": role, "revoked_at": dt.datetime.now(dt.UTC).isoformat()}
        tmp = self.revoked_path.with_suffix(".tmp")
        _write(tmp, orjson.dumps(revoked, option=orjson.OPT_INDENT_2))
        os.replace(tmp, self.revoked_path)
        return serial

    def revoked(self) -> dict[str, dict[str, str]]:
        """The revocation list (serial hex -> {role, revoked_at}); RevocationListError if it is missing or unreadable
        (then no client certificate can be trusted: the server refuses them all)."""
        return read_revocation_list(self.revoked_path)

    def export(self, role: str, out: Path) -> list[Path]:
        """Copy a role's bundle (client.key, client.pem, ca.pem) to out, for handing to that agency."""
        src = self.creds / role
        if not (src / "client.pem").exists():
            raise NotFoundError(f"no credential for role {role}")
        if out.exists() and any(out.iterdir()):
            raise InvalidInputError(f"{out} is not empty")
        written = []
        for name in ("client.key", "client.pem", "ca.pem"):
            _write(out / name, (src / name).read_bytes(), secret=name.endswith(".key"))
            written.append(out / name)
        return written


class RevocationListError(EligibilityError):
    """The revocation list is missing or unreadable: every client certificate is refused until it is repaired."""

    code = "UNAVAILABLE"


def read_revocation_list(path: Path) -> dict[str, dict[str, str]]:
    """A revocation list file: serial (hex) -> details. Missing or not such a JSON object: RevocationListError."""
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise RevocationListError(f"the revocation list {path} is missing (init writes one; restore it from a backup, "
                                  "or write {} if nothing was ever revoked): every client certificate is refused "
                                  "until it is back") from None
    except (OSError, orjson.JSONDecodeError) as e:
        raise RevocationListError(f"the revocation list {path} cannot be read ({e}): every client certificate is "
                                  "refused until it is repaired") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, dict) for k, v in data.items()):
        raise RevocationListError(f"the revocation list {path} is not a JSON object of serial -> details: every "
                                  "client certificate is refused until it is repaired")
    return data


def role_of(pem: bytes) -> tuple[str, str]:
    """(role, serial hex) from a client certificate: the role is the Subject CN, nothing else."""
    cert = x509.load_pem_x509_certificate(pem)
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    role = str(cns[0].value) if len(cns) == 1 else ""
    return role, format(cert.serial_number, "x")
