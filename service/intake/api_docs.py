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
    spec["components"]["schemas"]["CommentForm"] = form
    content = spec["paths"]["/comments"]["post"]["requestBody"]["content"]
    content["application/x-www-form-urlencoded"]["schema"] = {
        "$ref": "#/components/schemas/CommentForm"
    }


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
    body=CommentIn,
    body_types=("application/x-www-form-urlencoded",),
    responses={
        202: {
            "description": "Accepted: a small HTML page with the status link.",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
        303: {
            "description": "Accepted: back to the article (permalink or Referer on "
            "an allowed site).",
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
