"""Flask's signed-cookie sessions, without their cost on requests that carry no session."""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin


class CookieSessions(SecureCookieSessionInterface):
    """The same cookies; only the desk uses them, so public requests skip the signer and config.

    Flask builds a signing serializer to open every request's session and reads seven cookie
    settings to save it, even when there is no cookie and nothing was stored: about a tenth of
    an intake request.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)
