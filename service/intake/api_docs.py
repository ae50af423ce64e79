"""OpenAPI description of the public intake and publishing endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields

from mizan.service.http.openapi import (
    INTAKE_ERRORS,
    default_operation_id,
    document,
    path_param,
    query_param,
    schema_ref,
)
from mizan.service.intake.schemas import AcceptedOut, CommentIn, PublicCommentOut


class ThreadOut(PublicCommentOut):
    replies = fields.List(fields.Nested(PublicCommentOut), required=True)


class ThreadPageOut(Schema):
    post_id = fields.String(required=True)
    comments = fields.List(fields.Nested(ThreadOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class CommentStatusOut(Schema):
    id = fields.String(required=True)
    status = fields.String(
        required=True,
        metadata={"enum": ["pending", "approved", "held", "spam", "rejected", "reported"]},
    )
    reason_category = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "enum": ["spam", "abuse", "links", "review", None],
            "description": "Why it is not published, as a category only (never which rule).",
        },
    )


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
document(
    "/api/v1/posts/{post_id}/comments",
    "get",
    tags=["public"],
    summary="Approved comments of an article, threads oldest first, paginated.",
    parameters=[
        path_param("post_id", "The site's article id."),
        query_param(
            "limit",
            "Threads per page (1-100, default 50).",
            {"type": "string", "pattern": "^[0-9]+$"},
        ),
        query_param("cursor", "next_cursor of the previous page."),
    ],
    responses={200: ThreadPageOut, 304: None},
    errors=(404, 405, 422),
    operation_id="list_post_comments",
)
document(
    "/api/v1/comments/{comment_id}",
    "get",
    tags=["public"],
    summary="A published comment; with its receipt, the status of one's own comment.",
    parameters=[
        path_param("comment_id"),
        query_param("receipt", "The receipt from the 202 answer."),
    ],
    responses={
        200: {
            "description": "The comment, or its status with a receipt.",
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [schema_ref(PublicCommentOut), schema_ref(CommentStatusOut)]
                    }
                }
            },
        }
    },
    errors=(404, 405),
    operation_id="get_comment",
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
