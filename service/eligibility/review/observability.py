"""Structured JSON logs (ID numbers masked, whatever a message contains) and Prometheus metrics."""

from __future__ import annotations

import logging
import re
import sys
import time

import orjson
from prometheus_client import Counter, Histogram

from eligibility.intake.idnumbers import mask

_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9Xx])")

REQUESTS = Counter("eligibility_requests_total", "gRPC requests by method and status code", ["method", "code"])
LATENCY = Histogram("eligibility_request_seconds", "gRPC request latency by method", ["method"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))
SCREENED = Counter("eligibility_candidates_screened_total", "Candidates screened (decisions recorded)")
DISAGREEMENTS = Counter("eligibility_engine_disagreements_total",
                        "Candidates where durable-rules and the reference evaluator disagreed")
FLAGS = Counter("eligibility_flag_rows_total", "Submitted flag rows by agency and outcome", ["agency", "status"])


def scrub(text: str) -> str:
    """Mask anything that looks like an 18-digit ID number."""
    return _ID.sub(lambda m: mask(m.group(0)), text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (masked), exception."""

    def format(self, record: logging.LogRecord) -> str:
        """Format one record."""
        out = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
               "level": record.levelname, "logger": record.name, "msg": scrub(record.getMessage())}
        if record.exc_info:
            out["exc"] = scrub(self.formatException(record.exc_info))
        return orjson.dumps(out).decode()


def configure_logging() -> None:
    """JSON lines on stderr for the server."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
