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
from dataclasses import dataclass
from pathlib import Path

import orjson
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from eligibility.errors import EligibilityError, InvalidInputError, NotFoundError

ORG = "eligibility"
VALID_DAYS = 365  # client certificates, unless config.toml says `certificate_days`
SERVER_DAYS = 825  # the server certificate (doctor warns 30 days before it ends)


def _write(path: Path, data: bytes, secret: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if secret else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write_json(path: Path, data: object, secret: bool = False) -> None:
    """Replace a JSON file at once (a reader sees the old or the new file, never half of one)."""
    tmp = path.with_suffix(".tmp")
    _write(tmp, orjson.dumps(data, option=orjson.OPT_INDENT_2), secret=secret)
    os.replace(tmp, path)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _serial(cert: x509.Certificate) -> str:
    return format(cert.serial_number, "x")


def normal_serial(text: str) -> str:
    """A serial as `credentials list` prints it, from what an operator may type (case, colons, spaces, 0x)."""
    s = text.strip().lower().replace(":", "").replace(" ", "").removeprefix("0x").lstrip("0")
    if not s or any(c not in "0123456789abcdef" for c in s):
        raise InvalidInputError(f"{text!r} is not a certificate serial (hex digits, as `credentials list` shows)")
    return s


@dataclass(frozen=True)
class Credential:
    """One client certificate this home issued, and what became of it."""

    role: str
    serial: str
    issued_at: str
    expires_at: str
    revoked_at: str | None
    current: bool  # the one in credentials/ROLE

    @property
    def state(self) -> str:
        """revoked, expired or valid."""
        if self.revoked_at:
            return "revoked"
        return "expired" if self.expires_at < _now() else "valid"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class Authority:
    """The CA under HOME/tls and the credentials it issues under HOME/credentials."""

    def __init__(self, home: Path, days: int = VALID_DAYS) -> None:
        """Use the CA of a home; client certificates it issues are valid for `days`."""
        self.home = home
        self.tls = home / "tls"
        self.creds = home / "credentials"
        self.days = days

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
        _write_json(self.digests_path, digests, secret=True)
        return had

    @property
    def revoked_path(self) -> Path:
        """serial (hex) -> {role, revoked_at}."""
        return self.tls / "revoked.json"

    @property
    def issued_path(self) -> Path:
        """serial (hex) -> {role, issued_at, expires_at}: every client certificate this home issued."""
        return self.tls / "issued.json"

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
        skey, scert = self._issue("eligibility server", sans, ExtendedKeyUsageOID.SERVER_AUTH, SERVER_DAYS)
        _write(self.tls / "server.key", skey, secret=True)
        _write(self.tls / "server.pem", scert)

    def _issue(self, cn: str, sans: list[x509.GeneralName], usage: x509.ObjectIdentifier,
               days: int) -> tuple[bytes, bytes]:
        ca_key = serialization.load_pem_private_key((self.tls / "ca.key").read_bytes(), None)
        ca_cert = x509.load_pem_x509_certificate((self.tls / "ca.pem").read_bytes())
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca_cert.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        return _key_pem(key), cert.public_bytes(serialization.Encoding.PEM)

    def issue_client(self, role: str, keep_old: bool = False) -> tuple[Path, list[str]]:
        """Issue (or re-issue) a role's client credential: its directory, and the serials this revoked (the
        certificate it replaces, unless keep_old: a planned hand-over, ended later with revoke --serial)."""
        replaced = self._current(role)
        key, pem = self._issue(role, [], ExtendedKeyUsageOID.CLIENT_AUTH, self.days)
        cert = x509.load_pem_x509_certificate(pem)
        issued = self._issued()
        issued[_serial(cert)] = {"role": role, "issued_at": _now(),
                                 "expires_at": cert.not_valid_after_utc.isoformat(timespec="seconds")}
        _write_json(self.issued_path, issued)
        d = self.creds / role
        _write(d / "client.key", key, secret=True)
        _write(d / "client.pem", pem)
        _write(d / "ca.pem", (self.tls / "ca.pem").read_bytes())
        revoked = [] if keep_old or replaced is None else self._revoke({_serial(replaced): role})
        return d, revoked

    def _current(self, role: str) -> x509.Certificate | None:
        pem = self.creds / role / "client.pem"
        return x509.load_pem_x509_certificate(pem.read_bytes()) if pem.exists() else None

    def _issued(self) -> dict[str, dict[str, str]]:
        """The record of issued certificates; a home made before it existed starts it from its current ones."""
        if self.issued_path.exists():
            try:
                data = orjson.loads(self.issued_path.read_bytes())
            except orjson.JSONDecodeError as e:
                raise InvalidInputError(f"{self.issued_path} cannot be read ({e}); restore it from a backup") from None
            if not isinstance(data, dict):
                raise InvalidInputError(f"{self.issued_path} is not a JSON object of serial -> details")
            return data
        seeded: dict[str, dict[str, str]] = {}
        for pem in sorted(self.creds.glob("*/client.pem")):
            cert = x509.load_pem_x509_certificate(pem.read_bytes())
            seeded[_serial(cert)] = {"role": pem.parent.name,
                                     "issued_at": cert.not_valid_before_utc.isoformat(timespec="seconds"),
                                     "expires_at": cert.not_valid_after_utc.isoformat(timespec="seconds")}
        return seeded

    def credentials(self) -> list[Credential]:
        """Every client certificate of this home, by role and issue time: which is current, revoked, expired."""
        issued, revoked = self._issued(), self.revoked()
        current = {r: _serial(c) for r in sorted(p.name for p in self.creds.iterdir() if p.is_dir())
                   if (c := self._current(r)) is not None}
        for serial, info in revoked.items():  # revoked before this home kept a record of what it issued
            issued.setdefault(serial, {"role": str(info.get("role", "?")), "issued_at": "", "expires_at": ""})
        return sorted((Credential(role=str(v.get("role", "?")), serial=k, issued_at=str(v.get("issued_at", "")),
                                  expires_at=str(v.get("expires_at", "")),
                                  revoked_at=str(revoked[k].get("revoked_at", "?")) if k in revoked else None,
                                  current=current.get(str(v.get("role"))) == k) for k, v in issued.items()),
                      key=lambda c: (c.role, c.issued_at))  # (stable: in the order issued within a second)

    def revoke(self, role: str, serial: str | None = None) -> list[str]:
        """Revoke one certificate of a role (serial), or every one it holds that is not yet revoked: the serials
        revoked now. Takes effect without a restart."""
        mine = [c for c in self.credentials() if c.role == role]
        if serial is not None:
            serial = normal_serial(serial)
            found = [c for c in self.credentials() if c.serial == serial]
            if not found:  # issued before the home kept its record (or mistyped: the command says so)
                return self._revoke({serial: role})
            if found[0].role != role:
                raise InvalidInputError(f"certificate {serial} belongs to {found[0].role}, not {role}")
            targets = [c for c in found if c.revoked_at is None]
        else:
            if not mine:
                raise NotFoundError(f"no credential for role {role}")
            targets = [c for c in mine if c.revoked_at is None]
        return self._revoke({c.serial: role for c in targets})

    def _revoke(self, serials: dict[str, str]) -> list[str]:
        if not serials:
            return []
        revoked = self.revoked()
        for serial, role in serials.items():
            revoked.setdefault(serial, {"role": role, "revoked_at": _now()})
        _write_json(self.revoked_path, revoked)
        return sorted(serials)

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
    return role, _serial(cert)
