"""Deliveries over HTTP (urllib: one POST, no pooling needed at webhook rates).

A receiver is someone else's server, so every call is bounded: a timeout on the connect
and on each read, at most a kilobyte of its answer read, no redirect followed (a 3xx is a
failed attempt, as Stripe treats it), no proxy from the environment, and whatever goes wrong
is the attempt's outcome, never an exception. Unless private receivers are allowed, a URL
whose host resolves to a private, loopback or link-local address (or IPv6 carrying one) is
refused before connecting, so a registered URL cannot make the shop call its own network
(server-side request forgery). The name is resolved again to connect: a DNS server that
answers differently the second time (rebinding) is not caught here; a shop that fears it
sends webhooks through an egress proxy that enforces the same rule.
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


def _body(error: urllib.error.HTTPError) -> str:
    try:
        return error.read(READ_LIMIT).decode(errors="replace")
    except Exception:  # a broken answer: its status says enough
        return ""


class HttpReceiver:
    def __init__(self, *, allow_private: bool) -> None:
        self._allow_private = allow_private
        # No proxy from the environment: it would connect where `refusal` never looked.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())

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
            status, error = exc.code, _body(exc) or str(exc.reason)
        except Exception as exc:  # whatever a receiver does is its attempt's outcome
            status, error = None, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
        return Outcome(status, error, round((time.monotonic() - started) * 1000))

    def refusal(self, url: str) -> str | None:
        """Why the shop will not call `url` (None: it will)."""
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError as exc:
            return f"not a URL: {exc}"
        if parts.scheme not in ("http", "https"):
            return "only http and https URLs are called"
        if self._allow_private:
            return None
        try:
            found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError) as exc:  # UnicodeError: not a host name at all
            return f"cannot resolve {host[:100]}: {exc}"
        private = [str(info[4][0]) for info in found if not public_address(str(info[4][0]))]
        if private:
            return f"{host} resolves to a private address ({private[0]})"
        return None
