"""The home directory: config, database, keys, the CA and per-role credentials (`eligibility init`)."""

from __future__ import annotations

import difflib
import hashlib
import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import grpc
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator

from eligibility.errors import EligibilityError, UnauthenticatedError
from eligibility.home.keys import read_hex_key, read_signing_key
from eligibility.home.pki import VALID_DAYS, Authority
from eligibility.intake.protect import IdProtector
from eligibility.rules.loader import REPO_RULES
from eligibility.rules.vocabulary import Vocabulary, load_vocabulary

DEFAULT_LISTEN = "127.0.0.1:50551"
DEFAULT_TIME_ZONE = "Asia/Shanghai"
LANGUAGES = ("zh", "en")


class HomeError(EligibilityError):
    """The home directory is missing or broken."""

    code = "FAILED_PRECONDITION"


class Config(BaseModel):
    """config.toml, resolved against the home directory."""

    model_config = ConfigDict(frozen=True)
    home: Path
    listen: str = DEFAULT_LISTEN
    metrics_listen: str = ""
    database: Path | str
    rules_dirs: tuple[Path, ...]
    default_ruleset: str = "national-2021"
    transport: str = "mtls"
    log_origin: str = "eligibility"
    max_concurrent_rpcs: int = 48
    calls_per_identity: int = 24
    shutdown_grace_seconds: float = 10.0
    workers: int = 0
    screen_parallel_from: int = 4000
    intake_parallel_from: int = 1000
    certificate_days: int = VALID_DAYS
    max_message_mb: int = 64
    time_zone: str = DEFAULT_TIME_ZONE
    """The zone reports and the console show times in (times are recorded in UTC)."""
    lang: str = ""
    """The console's language when neither --lang nor ELIGIBILITY_LANG says ("" : from LANG, else Chinese)."""
    log_key_file: Path
    id_hmac_key_file: Path
    id_enc_key_file: Path

    def vocabulary(self) -> Vocabulary:
        """The agencies, positions and their words, from the home's rule directories."""
        return load_vocabulary(self.rules_dirs)

    def id_protector(self) -> IdProtector:
        """Keys for matching and sealing ID numbers; they never go into the database."""
        return IdProtector(read_hex_key(self.id_hmac_key_file, "ID-matching key"),
                           read_hex_key(self.id_enc_key_file, "ID-encryption key"))

    def signing_key(self) -> Ed25519PrivateKey:
        """The log's checkpoint signing key."""
        return read_signing_key(self.log_key_file)

    def keys(self) -> dict[str, tuple[Path, bytes]]:
        """Every key of the home, checked: name -> (its file, what its fingerprint is made of)."""
        public = self.signing_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"id_hmac": (self.id_hmac_key_file, read_hex_key(self.id_hmac_key_file, "ID-matching key")),
                "id_enc": (self.id_enc_key_file, read_hex_key(self.id_enc_key_file, "ID-encryption key")),
                "log": (self.log_key_file, public)}

    @property
    def authority(self) -> Authority:
        """The home's CA."""
        return Authority(self.home, days=self.certificate_days)

    def _role_dir(self, role: str) -> Path:
        roles = self.vocabulary().roles
        if role not in roles:
            raise UnauthenticatedError(f"unknown role {role!r}; roles: {', '.join(roles)}")
        d = self.home / "credentials" / role
        if not d.exists():
            raise UnauthenticatedError(f"no credential for role {role} under {d.parent}")
        return d

    def channel_credentials(self, role: str) -> grpc.ChannelCredentials:
        """The role's mTLS client credential (its key and certificate, and the CA to trust)."""
        d = self._role_dir(role)
        return grpc.ssl_channel_credentials(root_certificates=(d / "ca.pem").read_bytes(),
                                            private_key=(d / "client.key").read_bytes(),
                                            certificate_chain=(d / "client.pem").read_bytes())

    def token_for(self, role: str) -> str:
        """The role's bearer token, used only in loopback plaintext mode."""
        return (self._role_dir(role) / "token").read_text().strip()

    def server_credentials(self) -> grpc.ServerCredentials:
        """The server's certificate; clients must present a certificate from this home's CA."""
        tls = self.home / "tls"
        return grpc.ssl_server_credentials(
            [((tls / "server.key").read_bytes(), (tls / "server.pem").read_bytes())],
            root_certificates=(tls / "ca.pem").read_bytes(), require_client_auth=True)


def digest(token: str) -> str:
    """The stored form of a plaintext-mode token."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_loopback(listen: str) -> bool:
    """True when a HOST:PORT address is on the loopback interface."""
    host = listen.rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _database(home: Path, value: str) -> Path | str:
    """A postgresql:// URL as it is; a SQLite file relative to the home."""
    return value if value.startswith(("postgresql://", "postgres://")) else home / value


class ConfigFile(BaseModel):
    """What config.toml may say (every key optional; an unknown key or a bad value refuses to start)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    listen: str = DEFAULT_LISTEN
    metrics_listen: str = ""
    database: str = "eligibility.db"
    rules_dirs: list[str] = Field(default_factory=lambda: [str(REPO_RULES)], min_length=1)
    default_ruleset: str = "national-2021"
    transport: Literal["mtls", "plaintext"] = "mtls"
    id_hmac_key_file: str = "keys/id-hmac.key"
    id_enc_key_file: str = "keys/id-enc.key"
    log_origin: str = Field("eligibility", min_length=1)
    log_key_file: str = "keys/log-ed25519.key"
    max_concurrent_rpcs: StrictInt = Field(48, ge=1, le=10_000)
    calls_per_identity: StrictInt | None = Field(None, ge=1, le=10_000)
    shutdown_grace_seconds: float = Field(10.0, ge=0, le=3600)
    workers: StrictInt | None = Field(None, ge=0, le=64)
    screen_parallel_from: StrictInt = Field(4000, ge=1)
    intake_parallel_from: StrictInt = Field(1000, ge=1)
    certificate_days: StrictInt = Field(VALID_DAYS, ge=1, le=3650)
    max_message_mb: StrictInt = Field(64, ge=1, le=64)
    time_zone: str = DEFAULT_TIME_ZONE
    lang: Literal["zh", "en", ""] = ""

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not a time zone the system knows (e.g. Asia/Shanghai)") from None
        return v


def _config_problems(path: Path, e: ValidationError) -> str:
    """One line per bad key, in the file's own words."""
    known = list(ConfigFile.model_fields)
    lines = []
    seen: set[str] = set()
    for err in e.errors():
        key = str(err["loc"][0]) if err["loc"] else "?"
        if key in seen:  # (one line per key)
            continue
        seen.add(key)
        if err["type"] == "extra_forbidden":
            close = difflib.get_close_matches(key, known, n=1)
            lines.append(f"{key}: not a setting" + (f" (did you mean {close[0]}?)" if close else
                                                     f" (the settings are: {', '.join(known)})"))
        else:
            lines.append(f"{key} = {err.get('input')!r}: {err['msg'].lower()}")
    return f"{path}: " + "; ".join(lines)


def load_config(home: Path) -> Config:
    """Read config.toml of a home (checked against ConfigFile: HomeError naming every bad key)."""
    path = home / "config.toml"
    if not path.exists():
        raise HomeError(f"{home} is not an eligibility home (no config.toml); run `eligibility init --home {home}`")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise HomeError(f"{path} is not valid TOML: {e}") from None
    try:
        f = ConfigFile.model_validate(data)
    except ValidationError as e:
        raise HomeError(_config_problems(path, e)) from None
    return Config(
        home=home, listen=f.listen, metrics_listen=f.metrics_listen, database=_database(home, f.database),
        rules_dirs=tuple(home / d for d in f.rules_dirs), default_ruleset=f.default_ruleset, transport=f.transport,
        id_hmac_key_file=home / f.id_hmac_key_file, id_enc_key_file=home / f.id_enc_key_file, log_origin=f.log_origin,
        log_key_file=home / f.log_key_file, max_concurrent_rpcs=f.max_concurrent_rpcs,
        calls_per_identity=min(f.max_concurrent_rpcs, f.calls_per_identity or max(1, f.max_concurrent_rpcs // 2)),
        shutdown_grace_seconds=float(f.shutdown_grace_seconds),
        workers=default_workers() if f.workers is None else f.workers,
        screen_parallel_from=f.screen_parallel_from, intake_parallel_from=f.intake_parallel_from,
        certificate_days=f.certificate_days, max_message_mb=f.max_message_mb, time_zone=f.time_zone, lang=f.lang,
    )


def default_workers() -> int:
    """One worker process per core, at most 8."""
    return min(8, os.cpu_count() or 1)
