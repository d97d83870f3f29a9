"""Deliveries over HTTP (urllib: one POST, no pooling needed at webhook rates).

A receiver is someone else's server, so every call is bounded: a connect and read timeout,
at most a kilobyte of its answer read, and no redirect followed (a 3xx is a failed attempt,
as Stripe treats it). Unless private receivers are allowed, a URL whose host resolves to a
private, loopback or link-local address is refused before connecting, so a registered URL
cannot make the shop call its own network (server-side request forgery).
"""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from polyshop.integrations.webhook_rules import Outcome, public_address

#: Seconds to connect and between bytes of the answer.
TIMEOUT = 10.0
#: Bytes of the receiver's answer read (and kept in the attempt's error).
READ_LIMIT = 1024


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpReceiver:
    def __init__(self, *, allow_private: bool) -> None:
        self._allow_private = allow_private
        self._opener = urllib.request.build_opener(_NoRedirects())

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Outcome:
        started = time.monotonic()
        refused = self.refusal(url)
        if refused:
            return Outcome(None, refused, 0)
        # http(s) only: checked at registration (`checked_url`) and again in `refusal`.
        request = urllib.request.Request(  # noqa: S310
            url, data=body, headers=dict(headers), method="POST"
        )
        try:
            with self._opener.open(request, timeout=TIMEOUT) as answer:
                answer.read(READ_LIMIT)
                status, error = answer.status, None
        except urllib.error.HTTPError as exc:
            status, error = exc.code, exc.read(READ_LIMIT).decode(errors="replace") or exc.reason
        except (urllib.error.URLError, OSError, ValueError) as exc:  # ValueError: a bad host
            status, error = None, str(getattr(exc, "reason", exc))
        return Outcome(status, error, round((time.monotonic() - started) * 1000))

    def refusal(self, url: str) -> str | None:
        """Why the shop will not call `url` (None: it will)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return "only http and https URLs are called"
        if self._allow_private:
            return None
        host = parts.hostname or ""
        try:
            found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError) as exc:  # UnicodeError: not a host name at all
            return f"cannot resolve {host[:100]}: {exc}"
        private = [str(info[4][0]) for info in found if not public_address(str(info[4][0]))]
        if private:
            return f"{host} resolves to a private address ({private[0]})"
        return None
