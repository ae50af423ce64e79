"""What the public read side shows."""

from __future__ import annotations

from marshmallow import Schema, fields

_PLAIN = "Plain text exactly as the reader typed it: escape it before putting it in HTML."


class PublicCommentOut(Schema):
    """What readers may see of a comment: never email, IP, user agent, scores or derivatives.

    Every string is raw text: a page must insert it as text (or HTML-escape it), never as markup.
    """

    id = fields.String()
    parent_id = fields.String(allow_none=True)
    author_name = fields.String(metadata={"description": _PLAIN})
    author_url = fields.String(
        allow_none=True,
        metadata={
            "description": "A well-formed http(s) URL (no quotes, angle brackets or spaces), "
            "normalised; still text to escape in an attribute. Link it with "
            'rel="nofollow ugc noopener".'
        },
    )
    body = fields.String(metadata={"description": _PLAIN + " Line breaks are \\n or \\r\\n."})
    created_at = fields.DateTime(
        format="iso", metadata={"description": "ISO 8601 with its time zone (UTC)."}
    )
