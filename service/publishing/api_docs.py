"""OpenAPI description of the public read endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields

from mizan.service.db import CURSOR_PATTERN
from mizan.service.http.openapi import document, path_param, query_param, schema_ref
from mizan.service.publishing.schemas import PublicCommentOut


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
    post_id = fields.String(required=True)
    parent_id = fields.String(required=True, allow_none=True)
    author_name = fields.String(required=True, metadata={"description": "Plain text: escape it."})
    body = fields.String(required=True, metadata={"description": "Plain text: escape it."})
    created_at = fields.DateTime(required=True, metadata={"description": "With its time zone."})


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
            {"type": "string", "pattern": "^(?:[1-9][0-9]?|100)$"},
        ),
        query_param(
            "cursor",
            "next_cursor of the previous page.",
            {"type": "string", "pattern": CURSOR_PATTERN},
        ),
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

for path, what in (
    ("/embed.js", "The comments widget (plain JavaScript); cached briefly, revalidated by ETag."),
    ("/embed/{version}/embed.js", "The widget at one version (immutable when current)."),
    (
        "/embed/{version}/embed.css",
        "The widget's stylesheet at one version (immutable when current).",
    ),
):
    media = "text/css" if path.endswith(".css") else "text/javascript"
    document(
        path,
        "get",
        tags=["public"],
        summary=what,
        parameters=[path_param("version")] if "{version}" in path else [],
        responses={
            200: {"description": what, "content": {media: {"schema": {"type": "string"}}}},
            304: None,
        },
        errors=(405,),
        operation_id="get_"
        + path.strip("/").replace("/", "_").replace(".", "_").replace("{version}", "version"),
    )
