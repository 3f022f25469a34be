"""`eligibility init`: create a home with its config, keys, CA and one credential per role."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eligibility.home.config import DEFAULT_LISTEN, Config, HomeError, default_workers, load_config
from eligibility.home.keys import bind_keys
from eligibility.home.pki import Authority
from eligibility.ledger.checkpoint import public_key_text
from eligibility.rules.loader import REPO_RULES
from eligibility.rules.vocabulary import load_vocabulary
from eligibility.store import open_store


def _write_secret(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")


def init_home(home: Path, listen: str = DEFAULT_LISTEN, rules_dirs: tuple[Path, ...] = (REPO_RULES,),
              server_names: tuple[str, ...] = ()) -> Config:
    """Create a home: config.toml, ID-number keys, a CA, a server certificate, one credential per role."""
    if (home / "config.toml").exists():
        raise HomeError(f"{home} is already initialised (config.toml exists)")
    os.umask(0o077)  # every file of a home is its owner's only: keys, credentials, the database and its journal
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)
    for sub in ("keys", "credentials", "tls"):
        (home / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(home / sub, 0o700)
    _write_secret(home / "keys" / "id-hmac.key", secrets.token_hex(32))
    _write_secret(home / "keys" / "id-enc.key", secrets.token_hex(32))
    log_key = Ed25519PrivateKey.generate()
    _write_secret(home / "keys" / "log-ed25519.key", log_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode().strip())
    (home / "keys" / "log.pub").write_text(public_key_text(log_key.public_key()) + "\n")
    authority = Authority(home)
    host = listen.rsplit(":", 1)[0].strip("[]")
    authority.create([h for h in (host, *server_names) if h and h not in ("0.0.0.0", "::")])
    for role in load_vocabulary(rules_dirs).roles:
        authority.issue_client(role)
        authority.issue_token(role)
    dirs = ", ".join(f'"{d}"' for d in rules_dirs)
    (home / "config.toml").write_text(
        "# eligibility home configuration (see README, Configuration)\n"
        f'listen = "{listen}"            # address `serve` listens on and clients connect to\n'
        'transport = "mtls"              # mtls, or plaintext (loopback only, for debugging)\n'
        'database = "eligibility.db"     # SQLite file, relative to this home\n'
        f"rules_dirs = [{dirs}]          # directories holding <ruleset>/ruleset.yaml\n"
        'default_ruleset = "national-2021"\n'
        'id_hmac_key_file = "keys/id-hmac.key"  # HMAC key for matching ID numbers\n'
        'id_enc_key_file = "keys/id-enc.key"    # AES-GCM key for ID numbers at rest\n'
        f'log_origin = "eligibility/{secrets.token_hex(4)}"  # names this log in its signed checkpoints\n'
        'log_key_file = "keys/log-ed25519.key"  # signs checkpoints; keys/log.pub verifies them\n'
        "max_concurrent_rpcs = 48        # more calls at once get RESOURCE_EXHAUSTED immediately\n"
        "shutdown_grace_seconds = 10     # on SIGTERM, in-flight calls get this long to finish\n"
        f"workers = {default_workers()}                     # processes for large screenings and submissions (0: none)\n"
        "screen_parallel_from = 4000     # rounds with at least this many candidates are screened by the workers\n"
        "intake_parallel_from = 1000     # flag submissions with at least this many rows are stored by the workers\n"
    )
    config = load_config(home)
    if isinstance(config.database, Path):  # the database records the fingerprints of the keys made with it
        store = open_store(config.database)
        try:
            bind_keys(store, config.keys())
        finally:
            store.close()
    return config
