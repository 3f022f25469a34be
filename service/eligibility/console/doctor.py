"""`eligibility doctor`: check a home and say what is wrong in plain words."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

from cryptography import x509

from eligibility.engine.evaluator import Evaluator
from eligibility.engine.golden import coverage_problems, load_cases, run_case
from eligibility.home.config import Config, load_config
from eligibility.home.keys import fingerprint
from eligibility.ledger.checkpoint import public_key_text
from eligibility.ledger.verify import read_checkpoints
from eligibility.review import witness
from eligibility.review.audit import verify_store
from eligibility.review.storecheck import check_store
from eligibility.rules.loader import discover, load_ruleset_file
from eligibility.store import open_store


def _perm_ok(path: Path) -> bool:
    return path.exists() and (path.stat().st_mode & 0o077) == 0


def _private_files(home: Path, cfg: Config) -> list[Path]:
    """The home itself and the files that hold names and birth dates (the SQLite database and its journal)."""
    out = [home]
    if isinstance(cfg.database, Path):
        out += [p for p in (cfg.database, cfg.database.with_name(cfg.database.name + "-wal"),
                            cfg.database.with_name(cfg.database.name + "-shm")) if p.exists()]
    return out


def check_home(home: Path, server: str = "") -> list[tuple[bool | None, str]]:
    """(ok, sentence) for every check (ok None: a note, not a problem); later checks are skipped when the home cannot
    be read at all. server: the address to probe (default: the home's listen address)."""
    out: list[tuple[bool | None, str]] = []

    def check(label: str, fn: Callable[[], str]) -> None:
        try:
            out.append((True, f"{label}: {fn()}"))
        except Exception as e:  # noqa: BLE001 - every failure is reported in words
            out.append((False, f"{label}: {e}"))

    try:
        cfg: Config = load_config(home)
        out.append((True, f"config: {home / 'config.toml'} reads (listen {cfg.listen}, transport {cfg.transport})"))
    except Exception as e:  # noqa: BLE001
        return [(False, f"config: {e}")]

    def keys() -> str:
        for f in (cfg.id_hmac_key_file, cfg.id_enc_key_file, cfg.log_key_file):
            if not f.exists():
                raise RuntimeError(f"{f} is missing")
            if not _perm_ok(f):
                raise RuntimeError(f"{f} is readable by other users; run chmod 600 {f}")
        keys = cfg.keys()  # each well-formed (32 bytes; an Ed25519 key), or a sentence naming the file
        if isinstance(cfg.database, Path) and not cfg.database.exists():
            return "ID-number keys and the log signing key are present, private (0600) and well-formed"
        store = open_store(cfg.database)
        try:
            recorded = {name: store.setting(f"key_fingerprint.{name}") for name in keys}
        finally:
            store.close()
        for name, (path, key) in keys.items():
            if recorded[name] is not None and recorded[name] != fingerprint(key):
                raise RuntimeError(f"{path} is not the key this database was made with; restore the home's own key file")
        unbound = [name for name, fp in recorded.items() if fp is None]
        return ("ID-number keys and the log signing key are present, private (0600), well-formed and the ones the "
                "database was made with" + (f" (not yet recorded: {', '.join(unbound)}; the next start records them)"
                                            if unbound else ""))
    check("keys", keys)

    def files() -> str:
        loose = [f"{p} ({p.stat().st_mode & 0o777:o})" for p in _private_files(home, cfg) if not _perm_ok(p)]
        if loose:
            raise RuntimeError(f"readable by other users: {'; '.join(loose)}; run chmod 700 on the home and chmod 600 "
                               "on the database files")
        return f"the home ({home}) and its database files are private to their owner"
    check("file modes", files)

    def tls() -> str:
        tls_dir = home / "tls"
        ca = x509.load_pem_x509_certificate((tls_dir / "ca.pem").read_bytes())
        server = x509.load_pem_x509_certificate((tls_dir / "server.pem").read_bytes())
        server.verify_directly_issued_by(ca)
        now = dt.datetime.now(dt.UTC)
        days = (server.not_valid_after_utc - now).days
        if days < 30:
            raise RuntimeError(f"the server certificate expires in {days} days; re-run init on a new home or reissue")
        revoked = cfg.authority.revoked()
        problems = []
        roles = cfg.vocabulary().roles
        for role in roles:
            pem = home / "credentials" / role / "client.pem"
            if not pem.exists():
                problems.append(f"{role} has no credential (eligibility credentials issue {role})")
                continue
            cert = x509.load_pem_x509_certificate(pem.read_bytes())
            cert.verify_directly_issued_by(ca)
            if format(cert.serial_number, "x") in revoked:
                problems.append(f"{role}'s certificate is revoked (eligibility credentials issue {role})")
            elif (cert.not_valid_after_utc - now).days < 30:
                problems.append(f"{role}'s certificate expires within 30 days")
        if problems:
            raise RuntimeError("; ".join(problems))
        return f"CA, server certificate ({days} days left) and {len(roles)} role credentials are valid"
    check("certificates", tls)

    def database() -> str:
        if not isinstance(cfg.database, Path):
            store = open_store(cfg.database)
            try:
                n = store.decision_count()
            finally:
                store.close()
            return f"PostgreSQL {store.path} answers, {n} decisions"
        if not cfg.database.exists():
            return "no database yet (it is created when the server first starts)"
        db = sqlite3.connect(f"file:{cfg.database}?mode=ro", uri=True)
        try:
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise RuntimeError("SQLite integrity check failed; restore from a backup")
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            missing = {"flags", "rounds", "candidates", "decisions", "log", "checkpoints"} - tables
            if missing:
                raise RuntimeError(f"tables missing: {', '.join(sorted(missing))}")
            mode = db.execute("PRAGMA journal_mode").fetchone()[0]
            n = db.execute("SELECT count(*) FROM decisions").fetchone()[0]
        finally:
            db.close()
        return f"{cfg.database.name} is intact (journal {mode}), {n} decisions"
    check("database", database)

    def disk() -> str:
        where = cfg.database.parent if isinstance(cfg.database, Path) else home
        usage = shutil.disk_usage(where)
        free_mb = usage.free / 2**20
        size_mb = (cfg.database.stat().st_size / 2**20 if isinstance(cfg.database, Path) and cfg.database.exists()
                   else 0.0)
        if free_mb < max(1024.0, size_mb):  # a screening of a large round writes about as much as it has logged
            raise RuntimeError(f"only {free_mb:,.0f} MB free on the disk of {where} (the database is {size_mb:,.0f} MB); "
                               "free space before the next screening: a full disk refuses every write")
        return f"{free_mb:,.0f} MB free on the disk of {where} ({usage.free / usage.total:.0%})"
    check("disk space", disk)

    def rules() -> str:
        names, failures = [], []
        ev = Evaluator()
        for d in cfg.rules_dirs:
            for path in discover(d):
                rs = load_ruleset_file(path)
                names.append(rs.label)
                cases_path = path.parent / "cases.yaml"
                cases = load_cases(cases_path).cases if cases_path.exists() else []
                failures += [f"{rs.name}: {c.name}" for c in cases if run_case(rs, ev, c)]
                failures += [f"{rs.name}: {p}" for p in coverage_problems(rs, cases)]
        if cfg.default_ruleset not in {n.split("@")[0] for n in names}:
            raise RuntimeError(f"the default ruleset {cfg.default_ruleset} is not under {cfg.rules_dirs}")
        if failures:
            raise RuntimeError(f"golden cases fail: {'; '.join(failures[:5])}")
        return f"{', '.join(names)} load and pass their golden cases"
    check("rulesets", rules)

    def log() -> str:
        if isinstance(cfg.database, Path) and not cfg.database.exists():
            return "no log yet"
        kept = home / witness.FILE  # the checkpoint the server signed last, kept outside the database
        trusted = read_checkpoints(kept) if kept.exists() else []
        store = open_store(cfg.database)
        try:
            problems, figures = verify_store(store, public_key_text(cfg.signing_key().public_key()), trusted)
        finally:
            store.close()
        pending = [p for p in problems if "not covered by any signed checkpoint" in p or p.startswith("no checkpoint")]
        problems = [p for p in problems if p not in pending]
        if problems:
            raise RuntimeError(f"the decision log does not verify: {'; '.join(problems[:5])}")
        note = " (the newest entries are not signed yet: the next screening or `audit checkpoint` signs them)"
        return f"{figures['entries']} entries and {figures['checkpoints']} checkpoints verify" + (note if pending else "")
    check("decision log", log)

    def tables() -> str:
        if isinstance(cfg.database, Path) and not cfg.database.exists():
            return "no tables yet"
        store = open_store(cfg.database)
        try:
            problems, figures = check_store(store)
        finally:
            store.close()
        if problems:
            more = f" (and {len(problems) - 5} more: eligibility audit check-store)" if len(problems) > 5 else ""
            raise RuntimeError(f"the tables say what the log does not: {'; '.join(problems[:5])}{more}")
        return f"{figures['rows']} rows and {figures['decisions logged']} decisions say exactly what the log says"
    check("tables", tables)
    out.append(_probe(cfg, home, server or cfg.listen))
    return out


def _probe(cfg: Config, home: Path, address: str) -> tuple[bool | None, str]:
    """Ask the server's health endpoint, with the first credential the home holds: SERVING is right, no answer is a
    note (a home is checked before its server starts too), any other answer a problem."""
    import time

    import grpc

    from eligibility.console.client import connect
    held = sorted(p.name for p in (home / "credentials").glob("*") if p.is_dir())
    if not held:
        return None, f"server: not asked (no credential under {home / 'credentials'})"
    t0 = time.monotonic()
    try:
        with connect(cfg, held[0], address, timeout=3) as c:
            status = c.health()
    except grpc.RpcError as e:
        if e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            return None, (f"server: nothing answers at {address} ({e.code().name}); if it should be running, start it "
                          f"with `eligibility --home {home} serve` and look at {home / 'server.log'}")
        return False, f"server at {address} refused the health check: {e.code().name}: {e.details()}"
    except Exception as e:  # noqa: BLE001 - a credential that cannot be read, an address that cannot be parsed
        return False, f"server: cannot ask {address}: {e}"
    if status != "SERVING":
        return False, f"server at {address} says {status}"
    return True, f"server at {address} is SERVING (answered the health check in {(time.monotonic() - t0) * 1000:.0f} ms)"
