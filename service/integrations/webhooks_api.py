"""The admin API of the integrations: webhook endpoints (/api/v1/moderation/webhooks) and
Akismet sites (/api/v1/moderation/sites). Admin accounts only: a bearer token, or the desk's
session with its CSRF token."""

from __future__ import annotations

import contextlib
from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from mizan.service.desk import current_actor, require_api
from mizan.service.errors import NotFound, ValidationFailed
from mizan.service.http.requests import json_object
from mizan.service.integrations.akismet import Akismet
from mizan.service.integrations.webhooks import (
    COMMENT_EVENTS,
    DISPATCH_TASK,
    EVENTS,
    WEBHOOK_QUEUE,
    Webhooks,
)

bp = Blueprint("integrations_api", __name__, url_prefix="/api/v1/moderation")

MSG_FIELDS = "The request could not be processed: see the fields."
_REQ: dict[str, Any] = {
    "required": "Missing data for required field.",
    "null": "Field may not be null.",
}
MAX_ID = 2**63 - 1
_PORT = r"(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?"
# What check_url and the site origin accept, as a pattern the OpenAPI document can state.
URL_PATTERN = r"^https?://[A-Za-z0-9.-]+" + _PORT + r"(?:[/?#][!-~]*)?$"
ORIGIN_PATTERN = r"^https?://[A-Za-z0-9.-]*[A-Za-z0-9-][A-Za-z0-9.-]*" + _PORT + r"/?$"


def webhooks() -> Webhooks:
    return current_app.extensions["mizan.webhooks"]


def akismet() -> Akismet:
    return current_app.extensions["mizan.akismet"]


# --- bodies -----------------------------------------------------------------------------------
class WebhookIn(Schema):
    """An endpoint to register."""

    class Meta:
        unknown = RAISE

    url = fields.String(
        required=True,
        validate=[
            validate.Length(1, 2000),
            validate.Regexp(
                URL_PATTERN,
                error="An http:// or https:// URL with a host (ASCII: percent-encode the rest).",
            ),
        ],
        error_messages=_REQ,
        metadata={
            "description": "http:// or https:// URL; redirects are never followed. Unless "
            "MIZAN_WEBHOOK_ALLOW_PRIVATE is on, a host that is localhost or a loopback, private, "
            "link-local or other non-public IP address is refused (422)."
        },
    )
    events = fields.List(
        fields.String(
            validate=validate.OneOf(EVENTS, error=f"Must be one of: {', '.join(EVENTS)}.")
        ),
        load_default=list(COMMENT_EVENTS),
        validate=validate.Length(1, len(EVENTS)),
        metadata={
            "description": "Events to receive (default: the four comment.* events; "
            "queue.backlog only when asked for)."
        },
    )


class WebhookOut(Schema):
    id = fields.Integer()
    url = fields.String()
    events = fields.List(fields.String())
    enabled = fields.Boolean()
    consecutive_failures = fields.Integer()
    disabled_at = fields.DateTime(allow_none=True)
    disabled_reason = fields.String(allow_none=True)
    last_success_at = fields.DateTime(allow_none=True)
    last_failure_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()


class WebhookCreatedOut(WebhookOut):
    secret = fields.String(
        metadata={"description": "The signing secret. Shown only in this answer: keep it."}
    )


class DeliveryOut(Schema):
    id = fields.Integer()
    event = fields.String()
    comment_id = fields.String(allow_none=True, metadata={"description": "None for queue.backlog."})
    status = fields.String(metadata={"description": "pending, delivered or failed."})
    attempts = fields.Integer()
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    next_attempt_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)


class WebhookDetailOut(WebhookOut):
    deliveries = fields.List(fields.Nested(DeliveryOut), metadata={"description": "Latest 20."})


class SiteIn(Schema):
    """A site that will call the Akismet-compatible API."""

    class Meta:
        unknown = RAISE

    name = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
            error="1-100 letters, digits, dots, dashes or underscores.",
        ),
        error_messages=_REQ,
    )
    origin = fields.String(
        required=True,
        validate=[
            validate.Length(1, 300),
            validate.Regexp(
                ORIGIN_PATTERN, error="An http(s) origin, such as https://news.example."
            ),
        ],
        error_messages=_REQ,
        metadata={"description": "The site's http(s) origin, e.g. https://news.example."},
    )


class SiteOut(Schema):
    id = fields.Integer()
    name = fields.String()
    origin = fields.String()
    key_prefix = fields.String(metadata={"description": "The key's first characters."})
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked = fields.Boolean()
    checks = fields.Integer(metadata={"description": "Comments checked for this site."})
    spam = fields.Integer(
        metadata={"description": "Of those, not published now (spam, abuse, held, rejected)."}
    )


class SiteCreatedOut(SiteOut):
    key = fields.String(metadata={"description": "The API key. Shown only in this answer."})


# --- helpers ----------------------------------------------------------------------------------
def _body(schema: Schema) -> dict:
    data = json_object()
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed(MSG_FIELDS, fields=exc.normalized_messages()) from None


def _json(schema: Schema, data, status: int = 200) -> Response:
    resp = jsonify(schema.dump(data))
    resp.status_code = status
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _row_id(value: int) -> int:
    if value > MAX_ID:
        raise NotFound("Not found.")
    return value


def _who() -> str:
    actor = current_actor()
    return actor.email if actor else "unknown"


# --- webhooks ---------------------------------------------------------------------------------
@bp.get("/webhooks", provide_automatic_options=False)
@require_api(admin=True)
def list_webhooks():
    return _json(WebhookOut(many=True), webhooks().endpoints())


@bp.post("/webhooks", provide_automatic_options=False)
@require_api(admin=True)
def add_webhook():
    data = _body(WebhookIn())
    secret, endpoint_id = webhooks().add(data["url"], data["events"], _who())
    return _json(WebhookCreatedOut(), {**webhooks().get(endpoint_id), "secret": secret}, 201)


@bp.get("/webhooks/<int:endpoint_id>", provide_automatic_options=False)
@require_api(admin=True)
def get_webhook(endpoint_id: int):
    return _json(WebhookDetailOut(), webhooks().get(_row_id(endpoint_id)))


def _toggle(endpoint_id: int, enabled: bool) -> Response:
    hooks = webhooks()
    hooks.set_enabled(_row_id(endpoint_id), enabled)
    if enabled:  # what waited is due now: ask a worker to send it
        sender = current_app.extensions["mizan"].sender
        # Best effort: the periodic dispatch sends it shortly anyway.
        with contextlib.suppress(Exception):
            getattr(sender, "inner", sender).send_task(DISPATCH_TASK, [], WEBHOOK_QUEUE)
    return _json(WebhookOut(), hooks.get(endpoint_id))


@bp.post("/webhooks/<int:endpoint_id>/enable", provide_automatic_options=False)
@require_api(admin=True)
def enable_webhook(endpoint_id: int):
    return _toggle(endpoint_id, True)


@bp.post("/webhooks/<int:endpoint_id>/disable", provide_automatic_options=False)
@require_api(admin=True)
def disable_webhook(endpoint_id: int):
    return _toggle(endpoint_id, False)


@bp.delete("/webhooks/<int:endpoint_id>", provide_automatic_options=False)
@require_api(admin=True)
def delete_webhook(endpoint_id: int):
    webhooks().remove(_row_id(endpoint_id))
    return Response(status=204)


# --- sites ------------------------------------------------------------------------------------
@bp.get("/sites", provide_automatic_options=False)
@require_api(admin=True)
def list_sites():
    return _json(SiteOut(many=True), akismet().sites())


@bp.post("/sites", provide_automatic_options=False)
@require_api(admin=True)
def add_site():
    data = _body(SiteIn())
    key, site = akismet().add_site(data["name"], data["origin"], _who())
    found = next(s for s in akismet().sites() if s["id"] == site.id)
    return _json(SiteCreatedOut(), {**found, "key": key}, 201)


@bp.post("/sites/<name>/revoke", provide_automatic_options=False)
@require_api(admin=True)
def revoke_site(name: str):
    akismet().revoke_site(name)
    found = next(s for s in akismet().sites() if s["name"] == name)
    return _json(SiteOut(), found)
