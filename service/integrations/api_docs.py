"""The integrations in the OpenAPI contract: the Akismet REST API 1.1 and the admin API of
webhooks and sites.

The Akismet operations answer as Akismet documents, in text/plain with status 200 even for errors
(a body that is none of the success words, with X-akismet-debug-help, and X-akismet-error for
errors a client should act on); only the server itself answers 405 for another method.
"""

from __future__ import annotations

from mizan.service.http.openapi import document, path_param, refine
from mizan.service.integrations.webhooks import BACKLOG_EVENT, COMMENT_EVENTS
from mizan.service.integrations.webhooks_api import (
    SiteCreatedOut,
    SiteIn,
    SiteOut,
    WebhookCreatedOut,
    WebhookDetailOut,
    WebhookIn,
    WebhookOut,
)

TAGS = ["akismet"]
ADMIN = ["moderatorToken", "deskSession"]
READ = (401, 403, 405, 503)
WRITE = (401, 403, 405, 503)
JSON_BODY = (400, 413, 415, 422)
ROW_ID = {"type": "integer", "format": "int64", "minimum": 0}

_TEXT = {"type": "string"}
_HELP = {
    "X-akismet-debug-help": {
        "description": "Why the request failed (on errors and on `invalid`).",
        "schema": _TEXT,
    },
    "X-akismet-error": {
        "description": "An error the client should act on (`timeout`: no decision in time, "
        "`unavailable`, `no_model`): hold the comment for moderation.",
        "schema": _TEXT,
    },
}


def _form(description: str, *, check: bool) -> dict:
    props = {
        "api_key": {"type": "string", "description": "The site's key (or `key`, or KEY.host)."},
        "key": {"type": "string", "description": "Alias of api_key (verify-key uses it)."},
        "blog": {"type": "string", "description": "The site's front page URL (required)."},
    }
    if check:
        for name, text in (
            ("user_ip", "The commenter's IP address (required; stored encrypted)."),
            ("user_agent", "The commenter's browser."),
            ("referrer", "The page the commenter came from (only origin and path kept)."),
            ("permalink", "The article's URL: the comment's post is this path on the site."),
            ("comment_type", "comment, reply, forum-post, contact-form, ..."),
            ("comment_author", "Name given with the comment."),
            ("comment_author_email", "Email given (stored encrypted, never shown)."),
            ("comment_author_url", "URL given with the comment."),
            ("comment_content", "The text."),
            ("comment_parent", "The parent comment on the site (not used)."),
            ("blog_lang", "Site language(s), e.g. ar, en."),
            ("blog_charset", "UTF-8 only."),
            ("is_test", "Set when testing; decided and recorded the same way."),
            ("guid", "submit-spam/ham: the X-akismet-guid comment-check answered."),
        ):
            props[name] = {"type": "string", "description": text}
    return {"type": "object", "description": description, "properties": props}


def _text_answer(words: list[str], headers: dict | None = None) -> dict:
    return {
        "description": f"One of {', '.join(repr(w) for w in words)}, or an error message "
        "(with X-akismet-debug-help).",
        "headers": {**_HELP, **(headers or {})},
        "content": {"text/plain": {"schema": _TEXT}},
    }


FORM = ("application/x-www-form-urlencoded",)

document(
    "/1.1/verify-key",
    "post",
    tags=TAGS,
    summary="Akismet verify-key: is this key (`key`) valid for this site (`blog`)?",
    body=_form("Akismet's verify-key fields.", check=False),
    body_types=FORM,
    responses={200: _text_answer(["valid", "invalid"])},
    errors=(405,),
    operation_id="akismet_verify_key",
)
document(
    "/1.1/comment-check",
    "post",
    tags=TAGS,
    summary="Akismet comment-check: `true` for spam or abuse the policy would not publish.",
    description="The comment is stored for the key's site and decided by Mizan's classifier and "
    "rules within MIZAN_AKISMET_TIMEOUT; `false` means the policy would publish it. Blatant spam "
    "also gets `X-akismet-pro-tip: discard`. Without a decision in time the answer is an error "
    "with `X-akismet-error: timeout` (hold the comment; Mizan still decides it).",
    body=_form("Akismet's comment-check fields.", check=True),
    body_types=FORM,
    responses={
        200: _text_answer(
            ["true", "false", "invalid"],
            {
                "X-akismet-guid": {
                    "description": "Identifies this check (send it back as `guid`).",
                    "schema": _TEXT,
                },
                "X-akismet-pro-tip": {
                    "description": "`discard`: blatant spam, safe to drop unseen.",
                    "schema": _TEXT,
                },
            },
        )
    },
    errors=(405,),
    operation_id="akismet_comment_check",
)
for _name, _what in (("submit-spam", "spam"), ("submit-ham", "not spam")):
    document(
        f"/1.1/{_name}",
        "post",
        tags=TAGS,
        summary=f"Akismet {_name}: a site's moderator says the comment is {_what}.",
        description="Applied as a moderator's action on the comment the site checked (found by "
        "`guid`, else by author and text; recorded if never checked): audited, and a labelled "
        "example for retraining (`mizan feedback export`).",
        body=_form(f"Akismet's {_name} fields (the same as comment-check).", check=True),
        body_types=FORM,
        responses={200: _text_answer(["Thanks for making the web a better place.", "invalid"])},
        errors=(405,),
        operation_id=f"akismet_{_name.replace('-', '_')}",
    )

WTAGS = ["integrations"]
endpoint_id = path_param("endpoint_id", "The endpoint's id.", ROW_ID)
document(
    "/api/v1/moderation/webhooks",
    "get",
    tags=WTAGS,
    security=ADMIN,
    summary="Webhook endpoints, with their state (enabled, failures in a row, last error).",
    responses={200: WebhookOut(many=True)},
    errors=READ,
    operation_id="webhooks_list",
)
document(
    "/api/v1/moderation/webhooks",
    "post",
    tags=WTAGS,
    security=ADMIN,
    summary="Register an endpoint; the answer shows its signing secret, once.",
    description="Deliveries are POSTs of JSON signed with `X-Mizan-Signature: t=<unix>,v1=<hex "
    "HMAC-SHA256 of '<t>.<body>'>`; see docs/integrations.md.",
    body=WebhookIn,
    responses={201: (WebhookCreatedOut, "The endpoint and its secret.")},
    errors=(*WRITE, *JSON_BODY),
    operation_id="webhooks_add",
)
document(
    "/api/v1/moderation/webhooks/{endpoint_id}",
    "get",
    tags=WTAGS,
    security=ADMIN,
    summary="One endpoint and its latest deliveries (status, attempts, last error).",
    parameters=[endpoint_id],
    responses={200: WebhookDetailOut},
    errors=(*READ, 404),
    operation_id="webhooks_get",
)
document(
    "/api/v1/moderation/webhooks/{endpoint_id}",
    "delete",
    tags=WTAGS,
    security=ADMIN,
    summary="Remove an endpoint and its delivery records.",
    parameters=[endpoint_id],
    responses={204: None},
    errors=(*WRITE, 404),
    operation_id="webhooks_delete",
)
for _verb, _text in (
    ("enable", "Enable (failures forgotten; waiting deliveries are sent)."),
    ("disable", "Disable (deliveries wait until it is enabled)."),
):
    document(
        f"/api/v1/moderation/webhooks/{{endpoint_id}}/{_verb}",
        "post",
        tags=WTAGS,
        security=ADMIN,
        summary=_text,
        parameters=[endpoint_id],
        responses={200: WebhookOut},
        errors=(*WRITE, 404),
        operation_id=f"webhooks_{_verb}",
    )
document(
    "/api/v1/moderation/sites",
    "get",
    tags=WTAGS,
    security=ADMIN,
    summary="Sites of the Akismet-compatible API (key prefixes only), with their counts.",
    responses={200: SiteOut(many=True)},
    errors=READ,
    operation_id="sites_list",
)
document(
    "/api/v1/moderation/sites",
    "post",
    tags=WTAGS,
    security=ADMIN,
    summary="Add a site; the answer shows its API key, once (only its hash is stored).",
    body=SiteIn,
    responses={201: (SiteCreatedOut, "The site and its key.")},
    errors=(*WRITE, *JSON_BODY, 409),
    operation_id="sites_add",
)
document(
    "/api/v1/moderation/sites/{name}/revoke",
    "post",
    tags=WTAGS,
    security=ADMIN,
    summary="Revoke a site's key: its calls are answered `invalid` from then on.",
    parameters=[path_param("name", "The site's name.")],
    responses={200: SiteOut},
    errors=(*WRITE, 404),
    operation_id="sites_revoke",
)


_EVENT_COMMENT = {
    "type": "object",
    "required": ["id", "post_id", "parent_id", "status", "permalink", "created_at"],
    "properties": {
        "id": {"type": "string"},
        "post_id": {"type": "string"},
        "parent_id": {"type": "string", "nullable": True},
        "status": {"type": "string", "enum": ["approved", "held", "reported", "rejected", "spam"]},
        "permalink": {"type": "string", "nullable": True},
        "created_at": {"type": "string", "format": "date-time"},
        "author_name": {"type": "string", "description": "comment.published only."},
        "author_url": {
            "type": "string",
            "nullable": True,
            "description": "comment.published only.",
        },
        "body": {"type": "string", "description": "comment.published only."},
    },
    "additionalProperties": False,
}
_COMMENT_EVENT = {
    "type": "object",
    "description": "A comment's status changed: its public fields only.",
    "required": ["id", "event", "occurred_at", "comment"],
    "properties": {
        "id": {"type": "string", "description": "The delivery's key, the same on every retry."},
        "event": {"type": "string", "enum": list(COMMENT_EVENTS)},
        "occurred_at": {"type": "string", "format": "date-time"},
        "comment": _EVENT_COMMENT,
    },
    "additionalProperties": False,
}
_BACKLOG_EVENT = {
    "type": "object",
    "description": "The oldest held comment has just become older than "
    "MIZAN_QUEUE_ALERT_MINUTES: sent once, again only after the queue has recovered and crossed "
    "again. Counts only, nothing of any comment.",
    "required": ["id", "event", "occurred_at", "queue"],
    "properties": {
        "id": {"type": "string", "description": "The delivery's key, the same on every retry."},
        "event": {"type": "string", "enum": [BACKLOG_EVENT]},
        "occurred_at": {"type": "string", "format": "date-time"},
        "queue": {
            "type": "object",
            "required": ["held", "oldest_age_seconds", "alert_minutes"],
            "properties": {
                "held": {"type": "integer", "minimum": 1, "description": "Comments held."},
                "oldest_age_seconds": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "How long ago the oldest held comment was posted.",
                },
                "alert_minutes": {"type": "integer", "minimum": 1},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}
WEBHOOK_EVENT = {
    "description": "What each delivery POSTs: public fields only (never an email, an IP or a "
    "score).",
    "oneOf": [_COMMENT_EVENT, _BACKLOG_EVENT],
}


@refine
def _webhook_callbacks(_app, spec: dict) -> None:
    """The deliveries, as an OpenAPI callback of the operation that registers an endpoint."""
    spec["components"]["schemas"]["WebhookEvent"] = WEBHOOK_EVENT
    header = {"schema": {"type": "string"}, "required": True}
    op = spec["paths"]["/api/v1/moderation/webhooks"]["post"]
    op["callbacks"] = {
        "commentEvent": {
            "{$request.body#/url}": {
                "post": {
                    "summary": "A comment event (or the held queue's backlog alert), signed.",
                    "description": "X-Mizan-Signature is t=<unix seconds>,v1=<hex HMAC-SHA256, "
                    "keyed with the endpoint's secret, of '<t>.<raw body>'>. Any 2xx is success; "
                    "anything else, a redirect (never followed) or a timeout is retried with "
                    "back-off and jitter.",
                    "parameters": [
                        {"name": "X-Mizan-Signature", "in": "header", **header},
                        {"name": "X-Mizan-Event", "in": "header", **header},
                        {"name": "X-Mizan-Delivery", "in": "header", **header},
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/WebhookEvent"}
                            }
                        },
                    },
                    "responses": {"2XX": {"description": "Received."}},
                }
            }
        }
    }
