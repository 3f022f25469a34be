"""Test data helpers: valid ID numbers, flag and candidate rows."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

from eligibility.intake.idnumbers import check_digit

_seq = itertools.count(1)


def make_id(born: date = date(1980, 1, 1), region: str = "110101") -> str:
    """A fresh valid ID number (unique within the test session)."""
    n = next(_seq)
    body = f"{region}{born:%Y%m%d}{n % 1000:03d}"
    if n >= 1000:
        body = f"{int(region) + n // 1000:06d}{born:%Y%m%d}{n % 1000:03d}"
    return body + check_digit(body)


def flag(id_number: str, kind: str, reference: str, decided_on: str, name: str = "张三", **extra: str) -> dict[str, str]:
    """A flag row with all columns."""
    row = {"id_number": id_number, "name": name, "kind": kind, "reference": reference, "decided_on": decided_on,
           "end_date": "", "level": "", "term_months": "", "note": ""}
    row.update(extra)
    return row


def candidate(id_number: str, name: str = "张三", position: str = "vc_member", party_member: str = "no",
              village: str = "桃源村", township: str = "桃源乡") -> dict[str, str]:
    """A candidate row with all columns."""
    return {"id_number": id_number, "name": name, "village": village, "township": township, "position": position,
            "party_member": party_member}


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is pid (read from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
            continue
    return out


def stuck_together(*work: Callable[[], None], patience: float = 20) -> bool:
    """Run each on its own (daemon) thread at once; whether any is still running after patience seconds, i.e. waits
    for what another holds (a stuck store must then not be closed: closing waits for it too)."""
    threads = [threading.Thread(target=w, daemon=True) for w in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(patience)
    return any(t.is_alive() for t in threads)
