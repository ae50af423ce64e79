"""What the public read side shows."""

from __future__ import annotations

from marshmallow import Schema, fields


class PublicCommentOut(Schema):
    """What readers may see of a comment: never email, IP, user agent, scores or derivatives."""

    id = fields.String()
    parent_id = fields.String(allow_none=True)
    author_name = fields.String()
    author_url = fields.String(allow_none=True)
    body = fields.String()
    created_at = fields.DateTime(format="iso")
