"""The home directory: config, database, keys and per-role credentials (`eligibility init`)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tomllib
from pathlib import Path

import orjson
from pydantic import BaseModel, ConfigDict

from .domain import ROLES
from .errors import EligibilityError, UnauthenticatedError

REPO_RULES = Path(__file__).resolve().parents[2] / "rules"
DEFAULT_LISTEN = "127.0.0.1:50551"


class HomeError(EligibilityError):
    """The home directory is missing or broken."""

    code = "FAILED_PRECONDITION"


class Config(BaseModel):
    """config.toml, resolved against the home directory."""

    model_config = ConfigDict(frozen=True)
    home: Path
    listen: str = DEFAULT_LISTEN
    database: Path
    rules_dirs: tuple[Path, ...]
    default_ruleset: str = "national-2021"
    id_key_file: Path

    def id_key(self) -> bytes:
        """The secret key for person keys (HMAC of ID numbers); never stored in the database."""
        return bytes.fromhex(self.id_key_file.read_text().strip())

    def token_for(self, role: str) -> str:
        """This home's credential for a role (client side)."""
        path = self.home / "credentials" / f"{role}.token"
        if role not in ROLES:
            raise UnauthenticatedError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
        if not path.exists():
            raise UnauthenticatedError(f"no credential for role {role} under {path.parent}")
        return path.read_text().strip()

    def token_digests(self) -> dict[str, str]:
        """sha256(token) -> role, for the server's authentication."""
        data = orjson.loads((self.home / "credentials" / "digests.json").read_bytes())
        return {digest: role for role, digest in data.items()}


def _write_secret(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")


def digest(token: str) -> str:
    """The stored form of a credential token."""
    return hashlib.sha256(token.encode()).hexdigest()


def init_home(home: Path, listen: str = DEFAULT_LISTEN, rules_dirs: tuple[Path, ...] = (REPO_RULES,)) -> Config:
    """Create a home: config.toml, an ID-number key, one credential per role. Refuses to overwrite."""
    if (home / "config.toml").exists():
        raise HomeError(f"{home} is already initialised (config.toml exists)")
    (home / "keys").mkdir(parents=True, exist_ok=True)
    (home / "credentials").mkdir(exist_ok=True)
    os.chmod(home / "keys", 0o700)
    os.chmod(home / "credentials", 0o700)
    _write_secret(home / "keys" / "id-hmac.key", secrets.token_hex(32))
    digests = {}
    for role in ROLES:
        token = f"{role}.{secrets.token_urlsafe(32)}"
        _write_secret(home / "credentials" / f"{role}.token", token)
        digests[role] = digest(token)
    (home / "credentials" / "digests.json").write_bytes(orjson.dumps(digests, option=orjson.OPT_INDENT_2))
    dirs = ", ".join(f'"{d}"' for d in rules_dirs)
    (home / "config.toml").write_text(
        "# eligibility home configuration (see README, Configuration)\n"
        f'listen = "{listen}"            # address `serve` listens on and clients connect to\n'
        'database = "eligibility.db"     # SQLite file, relative to this home\n'
        f"rules_dirs = [{dirs}]          # directories holding <ruleset>/ruleset.yaml\n"
        'default_ruleset = "national-2021"\n'
        'id_key_file = "keys/id-hmac.key"  # HMAC key for ID numbers; keep it out of the database\n'
    )
    return load_config(home)


def load_config(home: Path) -> Config:
    """Read config.toml of a home."""
    path = home / "config.toml"
    if not path.exists():
        raise HomeError(f"{home} is not an eligibility home (no config.toml); run `eligibility init --home {home}`")
    data = tomllib.loads(path.read_text())
    return Config(
        home=home, listen=data.get("listen", DEFAULT_LISTEN), database=home / data.get("database", "eligibility.db"),
        rules_dirs=tuple(home / d for d in data.get("rules_dirs", [str(REPO_RULES)])),
        default_ruleset=data.get("default_ruleset", "national-2021"),
        id_key_file=home / data.get("id_key_file", "keys/id-hmac.key"),
    )


def person_key_fn(key: bytes):  # type: ignore[no-untyped-def]
    """Return f(id_number) -> keyed HMAC-SHA256 hex (a plain hash of an 18-digit ID is brute-forceable)."""
    def person_key(id_number: str) -> str:
        return hmac.new(key, id_number.encode(), hashlib.sha256).hexdigest()
    return person_key
