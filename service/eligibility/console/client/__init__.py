"""The console's client: the only code on the client side that touches the generated gRPC types.

`open_session(config, role)` gives a Session whose methods return plain dicts (what the CLI, the
demo and the browser console use); `connect` gives the transport underneath (credentials,
deadlines, retries with idempotency keys, chunked uploads), which the API tests drive directly.
"""

from __future__ import annotations

from eligibility.console.client.session import Export, Recorded, Session
from eligibility.console.client.transport import Client, connect
from eligibility.home.config import Config


def open_session(config: Config, role: str, server: str = "", plaintext: bool = False, timeout: float = 60.0) -> Session:
    """A session with a home's server acting as role (mTLS unless the home or caller says plaintext)."""
    return Session(connect(config, role, server, plaintext=plaintext, timeout=timeout))


__all__ = ["Client", "Export", "Recorded", "Session", "connect", "open_session"]
