"""OpenAPI description of the intake endpoints (and the CORS preflights it answers)."""

from __future__ import annotations

import copy
import re

from mizan.service.http.openapi import (
    INTAKE_ERRORS,
    default_operation_id,
    document,
    path_param,
    refine,
)
from mizan.service.intake.schemas import URL_TAIL, AcceptedOut, CommentIn


@refine
def _deployment_limits(app, spec: dict) -> None:
    """The permalink's allowed origins and the body's length come from this deployment."""
    settings = app.extensions["mizan"].settings
    props = spec["components"]["schemas"]["CommentIn"]["properties"]
    origins = "|".join(re.escape(o) for o in settings.allowed_origins) or "(?!)"
    props["permalink"]["pattern"] = f"^(?:(?:{origins}){URL_TAIL})?$"
    props["body"]["maxLength"] = settings.max_body_chars
    # A form has no null: an empty optional field is an empty string (also allowed above).
    form = copy.deepcopy(spec["components"]["schemas"]["CommentIn"])
    for prop in form["properties"].values():
        prop.pop("nullable", None)
        prop.pop("default", None)
    form["properties"]["lang"] = {
        "type": "string",
        "pattern": "^[^\\x00-\\x1f\\x7f]*$",
        "maxLength": 35,
        "description": "The reader's language for an error page (ar or en); "
        "else Accept-Language decides.",
    }
    spec["components"]["schemas"]["CommentForm"] = form
    operation = spec["paths"]["/comments"]["post"]
    content = operation["requestBody"]["content"]
    content["application/x-www-form-urlencoded"]["schema"] = {
        "$ref": "#/components/schemas/CommentForm"
    }
    accepted = spec["paths"]["/api/v1/comments"]["post"]["responses"]["202"]["content"]
    operation["responses"]["202"]["content"]["application/json"] = copy.deepcopy(
        accepted["application/json"]
    )
    # A plain form gets every error as an HTML page; JSON when Accept asks for it.
    for status, response in operation["responses"].items():
        if status[0] in "45" and "content" in response:
            response["content"]["text/html"] = {"schema": {"type": "string"}}


document(
    "/api/v1/comments",
    "post",
    tags=["public"],
    summary="Submit a comment (JSON); it is stored and decided in the background.",
    description="Also accepts WordPress field names only in the form endpoint. A 202 "
    "means stored durably; follow status_url with its receipt.",
    body=CommentIn,
    responses={202: (AcceptedOut, "Accepted, pending a decision.")},
    errors=INTAKE_ERRORS,
    operation_id="create_comment",
)
document(
    "/comments",
    "post",
    tags=["public"],
    summary="Submit a comment from a plain HTML form (WordPress field names accepted).",
    description="Errors answer an HTML page in the reader's language (the `lang` field, "
    "else Accept-Language) with each message next to its field and the text refilled; "
    "JSON (the error body, or the 202 body on success) only with `Accept: application/json`. "
    "On success, 303 to the article with `#mizan-pending-<id>.<receipt>`: the article is "
    "the `permalink` field, else MIZAN_POST_URL_TEMPLATE, else the full Referer on an "
    "allowed site; without any, a 202 page that says the comment awaits moderation.",
    body=CommentIn,
    body_types=("application/x-www-form-urlencoded",),
    responses={
        202: {
            "description": "Accepted: a small HTML page with the status link (JSON with "
            "Accept: application/json).",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
        303: {
            "description": "Accepted: back to the article, the receipt in the fragment "
            "#mizan-pending-<id>.<receipt>.",
            "headers": {"Location": {"schema": {"type": "string"}}},
        },
    },
    errors=INTAKE_ERRORS,
    operation_id="create_comment_form",
)
for path in (
    "/api/v1/comments",
    "/api/v1/comments/{comment_id}",
    "/api/v1/posts/{post_id}/comments",
):
    params = [path_param(n) for n in ("comment_id", "post_id") if "{" + n + "}" in path]
    document(
        path,
        "options",
        tags=["public"],
        parameters=params,
        summary="CORS preflight: answered for the configured site origins only.",
        responses={204: None},
        errors=(403, 405),
        operation_id=default_operation_id("options", path),
    )
