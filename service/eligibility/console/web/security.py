"""What keeps the console to the person who launched it: a random per-launch token (in the URL the console opens,
then an HttpOnly SameSite=Strict cookie), every form carrying a CSRF token tied to it, same-origin checks on posts,
and a Host header that must name the loopback address the console listens on (no DNS rebinding)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field

COOKIE = "eligibility_console"


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback addresses (IPv4 127/8, IPv6 ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Guard:
    """One launch's secrets and where it listens."""

    host: str
    port: int
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @property
    def csrf(self) -> str:
        """The token every form posts back (derived from the launch token; never the cookie itself)."""
        return hmac.new(self.token.encode(), b"csrf", hashlib.sha256).hexdigest()

    @property
    def cookie(self) -> str:
        """The launch cookie's name: one per port, since a browser keeps cookies by host, not by port (a district's
        and an agency's console in one browser must not overwrite each other's)."""
        return f"{COOKIE}_{self.port}"

    def url(self, path: str = "/") -> str:
        """The address to open, with the launch token."""
        return f"http://{self.host}:{self.port}{path}?token={self.token}"

    def host_ok(self, header: str) -> bool:
        """The Host header names this console (a page of another site resolved to 127.0.0.1 does not)."""
        host, _, port = header.rpartition(":")
        return is_loopback_host(host) and port == str(self.port)

    def token_ok(self, presented: str | None) -> bool:
        """The launch token, compared in constant time."""
        return bool(presented) and hmac.compare_digest(str(presented), self.token)

    def same_origin(self, origin: str | None, fetch_site: str | None) -> bool:
        """A post comes from the console's own pages (browsers send Origin on posts; Sec-Fetch-Site when they can)."""
        if fetch_site and fetch_site not in ("same-origin", "none"):
            return False
        if origin is None:
            return True
        scheme, _, rest = origin.partition("://")
        return scheme == "http" and self.host_ok(rest)
