"""What every storefront response carries: a strict Content-Security-Policy, the CSRF token
its forms post back, and the headers that keep it out of frames and sniffers.

CSRF: a random value lives in an HttpOnly, SameSite=Lax cookie; forms carry an HMAC of
it (under a key only the server knows) and a POST is accepted only when the two agree. A
page from another site can neither read the cookie nor compute the HMAC. Cached pages hold a
marker instead of the token, replaced per response (`with_token`), so one cached page
serves every visitor with their own token.

CSP: scripts and styles only from the shop itself, plus the one inline `<style>` of critical
CSS, allowed by its hash (a nonce would make every page uncacheable).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from fastapi import Request, Response

CSRF_COOKIE = "polyshop_csrf"
CSRF_FIELD = "csrf"
#: Stands for the visitor's CSRF token in cached HTML; `with_token` puts theirs in.
TOKEN_MARKER = "\x00csrf\x00"  # noqa: S105 (a placeholder; NUL never comes from input)
_TOKEN_MARKER_BYTES = TOKEN_MARKER.encode()


class CsrfRefused(Exception):
    """A form post without the token of the visitor's own CSRF cookie."""


class Csrf:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def token_for(self, cookie: str) -> str:
        return hmac.new(self._key, cookie.encode(), hashlib.sha256).hexdigest()

    def cookie_of(self, request: Request) -> tuple[str, bool]:
        """The visitor's CSRF cookie value, and whether it is new (to be set)."""
        return self.cookie_of_value(request.cookies.get(CSRF_COOKIE))

    @staticmethod
    def cookie_of_value(value: str | None) -> tuple[str, bool]:
        """A presented cookie value if it can be one of ours, else a new one (True)."""
        if value is not None and 20 <= len(value) <= 64 and value.isascii():
            return value, False
        return secrets.token_urlsafe(24), True

    def check(self, request: Request, submitted: str | None) -> None:
        cookie = request.cookies.get(CSRF_COOKIE)
        if not cookie or not submitted:
            raise CsrfRefused
        expected = self.token_for(cookie).encode()
        if not hmac.compare_digest(expected, submitted.encode("utf-8", "replace")):
            raise CsrfRefused


def csrf_cookie_header(value: str, *, secure: bool) -> str:
    """The Set-Cookie value of a new CSRF cookie, for routes and for the ASGI fast path alike.
    SameSite=Lax, not Strict: a visit from another site must not replace the cookie that the
    forms open in other tabs were signed for (the HMAC is what protects)."""
    return f"{CSRF_COOKIE}={value}; HttpOnly; Path=/; SameSite=lax" + ("; Secure" if secure else "")


def set_csrf_cookie(request: Request, response: Response, value: str) -> None:
    response.headers.append(
        "set-cookie", csrf_cookie_header(value, secure=request.url.scheme == "https")
    )


def with_token(body: bytes, token: str) -> bytes:
    return body.replace(_TOKEN_MARKER_BYTES, token.encode())


def style_hash(css: str) -> str:
    digest = hashlib.sha256(css.encode()).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


def content_security_policy(inline_css: str, image_origins: str = "") -> str:
    """The policy of pages whose one inline `<style>` is `inline_css` ("": none allowed)."""
    images = f"'self' data: {image_origins}".strip()
    styles = f"'self' {style_hash(inline_css)}" if inline_css else "'self'"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src {styles}",
            f"img-src {images}",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


def page_headers(policy: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
    }
