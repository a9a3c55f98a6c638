"""Cookies and cross-site request forgery protection of the web UI.

- The session cookie holds a random token (its SHA-256 is the server-side session's id):
  ``HttpOnly`` (no script reads it), ``SameSite=Lax``, ``Secure`` over HTTPS.
- Every form carries a CSRF token. Before sign-in it must equal a random cookie set with the
  form (double submit); once signed in it is an HMAC of the session's own secret, so a page
  of another site can neither read nor forge it. A request whose ``Origin`` is another site
  is refused as well.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

SESSION_COOKIE = "retorno_session"
FORM_COOKIE = "retorno_form"  # the double-submit secret of the sign-in form
LANGUAGE_COOKIE = "retorno_lang"


def session_csrf_token(csrf_secret: str) -> str:
    return hmac.new(bytes.fromhex(csrf_secret), b"retorno-form", hashlib.sha256).hexdigest()


def new_form_secret() -> str:
    return secrets.token_hex(32)


def same_token(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def same_origin(request: Request) -> bool:
    """False when the browser says the form came from another site."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return origin == f"{request.url.scheme}://{request.url.netloc}"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path="/")
