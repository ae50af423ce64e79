"""Ask a worker to dispatch webhook events right after a request changed a comment's status.

Moderators' actions, reader reports and Akismet checks commit their decisions in the API; the
periodic dispatch would send their events within MIZAN_WEBHOOK_DISPATCH_SECONDS anyway, this
makes it immediate. Only while an endpoint is enabled (checked every few seconds).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask, Response, request

from mizan.service.config import Settings
from mizan.service.integrations.repository import IntegrationRepository
from mizan.service.integrations.webhooks import DISPATCH_TASK, WEBHOOK_QUEUE
from mizan.service.queue import make_sender

log = logging.getLogger("mizan.webhooks")

# Requests that may change a comment's status (and so write a decision).
_PREFIXES = ("/api/v1/moderation/", "/moderation/", "/api/v1/comments/", "/1.1/")
CHECK_SECONDS = 5.0


class Nudger:
    def __init__(self, settings: Settings, repo: IntegrationRepository) -> None:
        self.settings = settings
        self.repo = repo
        self._sender: Any = None
        self._seen = (-1e18, False)
        self._lock = threading.Lock()

    def init_app(self, app: Flask) -> None:
        app.after_request(self._after)

    def _wanted(self) -> bool:
        at, wanted = self._seen
        now = time.monotonic()
        if now - at >= CHECK_SECONDS:
            try:
                wanted = self.repo.any_enabled_endpoint()
            except Exception:  # noqa: BLE001 - no schema yet, database down: nothing to nudge
                wanted = False
            self._seen = (now, wanted)
        return wanted

    def _after(self, resp: Response) -> Response:
        if (
            request.method == "POST"
            and resp.status_code < 400
            and request.path.startswith(_PREFIXES)
            and not request.path.startswith("/1.1/verify-key")
            and self._wanted()
        ):
            try:
                with self._lock:
                    if self._sender is None:
                        self._sender = make_sender(self.settings.broker_url)
                self._sender.send_task(DISPATCH_TASK, [], WEBHOOK_QUEUE)
            except Exception as exc:  # noqa: BLE001 - the periodic dispatch sends them
                log.warning("could not queue webhook dispatch: %s", type(exc).__name__)
        return resp
