"""`eligibility doctor`: check a home and say what is wrong in plain words."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

from cryptography import x509

from eligibility.console.i18n import t
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
            out.append((True, f"{t(label)}: {fn()}"))
        except Exception as e:  # noqa: BLE001 - every failure is reported in words
            out.append((False, f"{t(label)}: {e}"))

    try:
        cfg: Config = load_config(home)
        out.append((True, t("config: {file} reads (listen {listen}, transport {transport})", file=home / "config.toml",
                             listen=cfg.listen, transport=cfg.transport)))
    except Exception as e:  # noqa: BLE001
        return [(False, t("config: {problem}", problem=e))]

    def keys() -> str:
        for f in (cfg.id_hmac_key_file, cfg.id_enc_key_file, cfg.log_key_file):
            if not f.exists():
                raise RuntimeError(t("{file} is missing", file=f))
            if not _perm_ok(f):
                raise RuntimeError(t("{file} is readable by other users; run chmod 600 {file}", file=f))
        keys = cfg.keys()  # each well-formed (32 bytes; an Ed25519 key), or a sentence naming the file
        if isinstance(cfg.database, Path) and not cfg.database.exists():
            return t("ID-number keys and the log signing key are present, private (0600) and well-formed")
        store = open_store(cfg.database)
        try:
            recorded = {name: store.setting(f"key_fingerprint.{name}") for name in keys}
        finally:
            store.close()
        for name, (path, key) in keys.items():
            if recorded[name] is not None and recorded[name] != fingerprint(key):
                raise RuntimeError(t("{file} is not the key this database was made with; restore the home's own key file",
                                     file=path))
        unbound = [name for name, fp in recorded.items() if fp is None]
        return (t("ID-number keys and the log signing key are present, private (0600), well-formed and the ones the "
                  "database was made with") + (t(" (not yet recorded: {keys}; the next start records them)",
                                                 keys=", ".join(unbound)) if unbound else ""))
    check("keys", keys)

    def files() -> str:
        loose = [f"{p} ({p.stat().st_mode & 0o777:o})" for p in _private_files(home, cfg) if not _perm_ok(p)]
        if loose:
            raise RuntimeError(t("readable by other users: {files}; run chmod 700 on the home and chmod 600 on the database "
                                 "files", files="; ".join(loose)))
        return t("the home ({home}) and its database files are private to their owner", home=home)
    check("file modes", files)

    def tls() -> str:
        tls_dir = home / "tls"
        ca = x509.load_pem_x509_certificate((tls_dir / "ca.pem").read_bytes())
        server = x509.load_pem_x509_certificate((tls_dir / "server.pem").read_bytes())
        server.verify_directly_issued_by(ca)
        now = dt.datetime.now(dt.UTC)
        days = (server.not_valid_after_utc - now).days
        if days < 30:
            raise RuntimeError(t("the server certificate expires in {days} days; re-run init on a new home or reissue",
                                 days=days))
        revoked = cfg.authority.revoked()
        problems = []
        roles = cfg.vocabulary().roles
        for role in roles:
            pem = home / "credentials" / role / "client.pem"
            if not pem.exists():
                problems.append(t("{role} has no credential (eligibility credentials issue {role})", role=role))
                continue
            cert = x509.load_pem_x509_certificate(pem.read_bytes())
            cert.verify_directly_issued_by(ca)
            if format(cert.serial_number, "x") in revoked:
                problems.append(t("{role}'s certificate is revoked (eligibility credentials issue {role})", role=role))
            elif (cert.not_valid_after_utc - now).days < 30:
                problems.append(t("{role}'s certificate expires within 30 days", role=role))
        if problems:
            raise RuntimeError("; ".join(problems))
        return t("CA, server certificate ({days} days left) and {n} role credentials are valid", days=days, n=len(roles))
    check("certificates", tls)

    def database() -> str:
        if not isinstance(cfg.database, Path):
            store = open_store(cfg.database)
            try:
                n = store.decision_count()
            finally:
                store.close()
            return t("PostgreSQL {path} answers, {n} decisions", path=store.path, n=n)
        if not cfg.database.exists():
            return t("no database yet (it is created when the server first starts)")
        db = sqlite3.connect(f"file:{cfg.database}?mode=ro", uri=True)
        try:
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise RuntimeError(t("SQLite integrity check failed; restore from a backup"))
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            missing = {"flags", "rounds", "candidates", "decisions", "log", "checkpoints"} - tables
            if missing:
                raise RuntimeError(t("tables missing: {tables}", tables=", ".join(sorted(missing))))
            mode = db.execute("PRAGMA journal_mode").fetchone()[0]
            n = db.execute("SELECT count(*) FROM decisions").fetchone()[0]
        finally:
            db.close()
        return t("{name} is intact (journal {mode}), {n} decisions", name=cfg.database.name, mode=mode, n=n)
    check("database", database)

    def disk() -> str:
        where = cfg.database.parent if isinstance(cfg.database, Path) else home
        usage = shutil.disk_usage(where)
        free_mb = usage.free / 2**20
        size_mb = (cfg.database.stat().st_size / 2**20 if isinstance(cfg.database, Path) and cfg.database.exists()
                   else 0.0)
        if free_mb < max(1024.0, size_mb):  # a screening of a large round writes about as much as it has logged
            raise RuntimeError(t("only {free:,.0f} MB free on the disk of {where} (the database is {size:,.0f} MB); free "
                                 "space before the next screening: a full disk refuses every write", free=free_mb,
                                 where=where, size=size_mb))
        return t("{free:,.0f} MB free on the disk of {where} ({share:.0%})", free=free_mb, where=where,
                 share=usage.free / usage.total)
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
            raise RuntimeError(t("the default ruleset {name} is not under {dirs}", name=cfg.default_ruleset,
                                 dirs=cfg.rules_dirs))
        if failures:
            raise RuntimeError(t("golden cases fail: {cases}", cases="; ".join(failures[:5])))
        return t("{names} load and pass their golden cases", names=", ".join(names))
    check("rulesets", rules)

    def log() -> str:
        if isinstance(cfg.database, Path) and not cfg.database.exists():
            return t("no log yet")
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
            raise RuntimeError(t("the decision log does not verify: {problems}", problems="; ".join(problems[:5])))
        note = t(" (the newest entries are not signed yet: the next screening or `audit checkpoint` signs them)")
        return t("{entries} entries and {cps} checkpoints verify", entries=figures["entries"], cps=figures["checkpoints"]) + (
            note if pending else "")
    check("decision log", log)

    def tables() -> str:
        if isinstance(cfg.database, Path) and not cfg.database.exists():
            return t("no tables yet")
        store = open_store(cfg.database)
        try:
            problems, figures = check_store(store)
        finally:
            store.close()
        if problems:
            more = t(" (and {n} more: eligibility audit check-store)", n=len(problems) - 5) if len(problems) > 5 else ""
            raise RuntimeError(t("the tables say what the log does not: {problems}", problems="; ".join(problems[:5])) + more)
        return t("{rows} rows and {decisions} decisions say exactly what the log says", rows=figures["rows"],
                 decisions=figures["decisions logged"])
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
        return None, t("server: not asked (no credential under {dir})", dir=home / "credentials")
    t0 = time.monotonic()
    try:
        with connect(cfg, held[0], address, timeout=3) as c:
            status = c.health()
    except grpc.RpcError as e:
        if e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            return None, t("server: nothing answers at {address} ({code}); if it should be running, start it with "
                           "`eligibility --home {home} serve` and look at {log}", address=address, code=e.code().name,
                           home=home, log=home / "server.log")
        return False, t("server at {address} refused the health check: {code}: {details}", address=address,
                        code=e.code().name, details=e.details())
    except Exception as e:  # noqa: BLE001 - a credential that cannot be read, an address that cannot be parsed
        return False, t("server: cannot ask {address}: {problem}", address=address, problem=e)
    if status != "SERVING":
        return False, t("server at {address} says {status}", address=address, status=status)
    return True, t("server at {address} is SERVING (answered the health check in {ms:.0f} ms)", address=address,
                   ms=(time.monotonic() - t0) * 1000)
