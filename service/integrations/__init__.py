"""Integrations: the Akismet-compatible API (sites and keys) and signed webhooks.

Public interface (import from here, not from the modules inside).
"""

from __future__ import annotations

from flask import Flask

from mizan.service.integrations.akismet import Akismet, AkismetError, CheckResult
from mizan.service.integrations.repository import IntegrationRepository
from mizan.service.integrations.webhooks import (
    DELIVER_TASK,
    DISPATCH_TASK,
    EVENTS,
    SIGNATURE_HEADER,
    WEBHOOK_QUEUE,
    Webhooks,
    sign,
    verify,
)

__all__ = [
    "DELIVER_TASK",
    "DISPATCH_TASK",
    "EVENTS",
    "SIGNATURE_HEADER",
    "WEBHOOK_QUEUE",
    "Akismet",
    "AkismetError",
    "CheckResult",
    "IntegrationRepository",
    "Webhooks",
    "init_app",
    "sign",
    "verify",
]


def init_app(app: Flask) -> None:
    """Attach the Akismet API, the webhooks API and the desk's integrations page."""
    from mizan.service.integrations import api_docs  # noqa: F401 - its document(...) calls
    from mizan.service.integrations.akismet_api import bp as akismet_bp
    from mizan.service.integrations.nudge import Nudger
    from mizan.service.integrations.pages import bp as pages_bp
    from mizan.service.integrations.scoring import InProcessDecider
    from mizan.service.integrations.webhooks_api import bp as api_bp

    svc = app.extensions["mizan"]
    repo = IntegrationRepository(svc.repo.engine)
    akismet = app.extensions["mizan.akismet"] = Akismet(
        svc.settings,
        repo,
        svc.keys,
        svc.sender,
        app.extensions["mizan_desk"],
        InProcessDecider(svc.settings, svc.keys, svc.repo.engine),
    )
    first = [True]

    def _warm_if_sites() -> None:
        try:
            if repo.any_live_site():
                akismet.warm()
        except Exception:  # noqa: BLE001, S110 - no schema yet: the first check warms it
            pass

    @app.after_request
    def _warm_when_sites_exist(resp):
        # Once per process, after the first response has gone out: with a live site, load the
        # classifier now, in the background, so the first comment-check does not wait for it.
        if first[0]:
            first[0] = False
            resp.call_on_close(_warm_if_sites)
        return resp

    app.extensions["mizan.webhooks"] = Webhooks(svc.settings, repo, svc.keys)
    app.register_blueprint(akismet_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)
    Nudger(svc.settings, repo).init_app(app)
