"""Marshmallow schemas for the public API: one per resource, server-owned fields dump-only."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates,
)

from mizan.service.http.requests import origin_of

# Control characters other than tab, newline and carriage return (browsers send CRLF from a
# <textarea>), plus lone surrogates that JSON escapes can smuggle in.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_FORBIDDEN_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")

MSG_REQUIRED = "Missing data for required field."
MSG_NULL = "Field may not be null."
MSG_STRING = "Not a valid string."
MSG_CHARS = "Contains characters that are not allowed."
MSG_URL = "Not a valid URL: use an http or https address."
MSG_ORIGIN = "The address is not on an allowed site."
MSG_EMAIL = "Not a valid email address."

_COMMON_ERRORS = {"required": MSG_REQUIRED, "null": MSG_NULL, "invalid": MSG_STRING}

# Syntax only (no DNS): local part and a dotted domain, as WordPress's is_email() accepts.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


# The same rules as JSON Schema patterns for the OpenAPI document (Text strips its value first,
# so a required field needs one character that is not white space).
# (Lone surrogates are refused too; a surrogate range is not a class regex engines accept.)
_BAD_LINE = "\\x00-\\x1f\\x7f"
_BAD_TEXT = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f"
LINE_PATTERN = f"^[^\\S\\x00-\\x1f]*[^\\s{_BAD_LINE}][^{_BAD_LINE}]*$"
TEXT_PATTERN = f"^[^\\S\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]*[^\\s{_BAD_TEXT}][^{_BAD_TEXT}]*$"
OPTIONAL_LINE_PATTERN = f"^[^{_BAD_LINE}]*$"
OPTIONAL_TEXT_PATTERN = f"^[^{_BAD_TEXT}]*$"
_ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,20}"
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,20}[A-Za-z0-9])?"
EMAIL_PATTERN = f"^{_ATOM}(?:\\.{_ATOM}){{0,2}}@(?:{_LABEL}\\.){{1,3}}[A-Za-z]{{2,20}}$"
# No white space, quotes, angle brackets, backquote or backslash anywhere in a URL: a link
# that a careless page pastes into an attribute cannot break out of it.
URL_TAIL = f"(?:[/?#][^\\s{_BAD_LINE}\\x80-\\x9f\"'<>`\\\\]*)?"
HTTP_URL_PATTERN = (
    f"^(?:https?://[A-Za-z0-9](?:[A-Za-z0-9.-]{{0,60}}[A-Za-z0-9])?(?::[0-9]{{1,4}})?{URL_TAIL})?$"
)


def _length(lo: int, hi: int) -> validate.Length:
    return validate.Length(min=lo, max=hi, error=f"Must be between {lo} and {hi} characters.")


def _max(hi: int) -> validate.Length:
    return validate.Length(max=hi, error=f"Must be at most {hi} characters.")


class Text(fields.String):
    """A string that is trimmed and refuses control characters."""

    def __init__(self, *args, single_line: bool = False, **kwargs):
        kwargs.setdefault("error_messages", _COMMON_ERRORS)
        # The OpenAPI document states the refused characters (fields may say more).
        pattern = OPTIONAL_LINE_PATTERN if single_line else OPTIONAL_TEXT_PATTERN
        kwargs["metadata"] = {"pattern": pattern, **kwargs.get("metadata", {})}
        super().__init__(*args, **kwargs)
        self._forbidden = _FORBIDDEN_SINGLE_LINE if single_line else _FORBIDDEN

    def _deserialize(self, value, attr, data, **kwargs):
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and self.metadata.get("numeric_ok")
        ):
            value = str(value)
        value = super()._deserialize(value, attr, data, **kwargs)
        if self._forbidden.search(value):
            raise ValidationError(MSG_CHARS)
        return value.strip()


_URL_REFUSED = re.compile(r"[\s\x00-\x1f\x7f-\x9f\"'<>`\\]")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_http_url(value: str) -> str:
    """A well-formed http(s) URL in one spelling: scheme and host lower-cased (IDNA), no default
    port, no user name or password; refuses white space, quotes, angle brackets and backslashes.
    """
    if _URL_REFUSED.search(value):
        raise ValidationError(MSG_URL)
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValidationError(MSG_URL) from None
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in _DEFAULT_PORTS or not host or "@" in parts.netloc:
        raise ValidationError(MSG_URL)
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValidationError(MSG_URL) from None
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    out = f"{scheme}://{netloc}{parts.path}"
    if parts.query or value.split("#", 1)[0].endswith("?"):
        out += "?" + parts.query
    if parts.fragment or value.endswith("#"):
        out += "#" + parts.fragment
    return out


# Query parameters that say who the reader is or which campaign brought them, not which article
# it is: a newsletter link ("?mc_eid=...", "?email=...") or a shared one ("?fbclid=...") would
# otherwise be stored with the comment and sent to webhooks as its permalink.
_READER_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
        "igshid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "vero_id", "oly_anon_id",
        "oly_enc_id", "s_cid", "email",
    }
)  # fmt: skip


def article_link(url: str | None) -> str | None:
    """``url`` without the query parameters that identify a reader: utm_* campaign tags, the
    click and mailing-list ids above, and any parameter whose value holds an "@" (an e-mail
    address). The others ("?p=123") stay exactly as written; so does the fragment."""
    if not url or "?" not in url:
        return url
    head, hash_, fragment = url.partition("#")  # a "?" after the "#" is the fragment's
    if "?" not in head:
        return url
    base, _, query = head.partition("?")
    kept = []
    for part in query.split("&"):
        name, _eq, value = part.partition("=")
        name = unquote_plus(name).strip().lower()
        if name.startswith("utm_") or name in _READER_PARAMS or "@" in unquote_plus(value):
            continue
        kept.append(part)
    out = base + ("?" + "&".join(kept) if any(kept) else "")
    return out + hash_ + fragment


class HttpUrl(Text):
    """An optional http(s) URL, stored normalised (see normalize_http_url)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, single_line=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        return normalize_http_url(value) if value else value


class CommentIn(Schema):
    """A reader's comment as the site's form or front end posts it."""

    class Meta:
        unknown = RAISE

    post_id = Text(
        required=True,
        single_line=True,
        validate=_length(1, 200),
        metadata={"numeric_ok": True, "pattern": LINE_PATTERN},
    )
    # Its pattern names the allowed origins: intake/api_docs.py fills it in per deployment.
    permalink = HttpUrl(load_default=None, allow_none=True, validate=_max(2000))
    # The article's title as the page shows it (the moderation desk displays it).
    title = Text(
        load_default=None,
        allow_none=True,
        single_line=True,
        validate=_max(300),
        metadata={"pattern": OPTIONAL_LINE_PATTERN},
    )
    parent_id = Text(
        load_default=None,
        allow_none=True,
        single_line=True,
        validate=_max(64),
        metadata={"numeric_ok": True, "pattern": OPTIONAL_LINE_PATTERN},
    )
    section = Text(
        load_default=None,
        allow_none=True,
        single_line=True,
        validate=_max(100),
        metadata={"pattern": OPTIONAL_LINE_PATTERN},
    )
    author_name = Text(
        required=True,
        single_line=True,
        validate=_length(1, 245),
        metadata={"pattern": LINE_PATTERN},
    )
    author_email = Text(
        required=True, single_line=True, validate=_max(254), metadata={"pattern": EMAIL_PATTERN}
    )
    author_url = HttpUrl(
        load_default=None,
        allow_none=True,
        validate=_max(200),
        metadata={"pattern": HTTP_URL_PATTERN},
    )
    body = Text(required=True, metadata={"pattern": TEXT_PATTERN, "minLength": 1})

    def __init__(
        self, *, allowed_origins: tuple[str, ...] = (), max_body_chars: int = 10_000, **kw
    ):
        super().__init__(**kw)
        self.allowed_origins = allowed_origins
        self.max_body_chars = max_body_chars
        self.error_messages = {**self.error_messages, "unknown": "Unknown field."}

    @pre_load
    def _blank_optionals(self, data, **_kwargs):
        # HTML forms send empty strings for optional fields, WordPress sends comment_parent=0.
        if isinstance(data, dict):
            data = dict(data)
            for key in ("permalink", "title", "author_url", "parent_id", "section"):
                if data.get(key) in ("", "0", 0):
                    data[key] = None
            # A required field left empty is missing: "required" says more than "not valid".
            for key in ("post_id", "author_name", "author_email", "body"):
                value = data.get(key)
                if isinstance(value, str) and not value.strip():
                    del data[key]
        return data

    @validates("body")
    def _body_length(self, value: str, **_kwargs) -> None:
        if not 1 <= len(value) <= self.max_body_chars:
            raise ValidationError(f"Must be between 1 and {self.max_body_chars} characters.")

    @validates("author_name")
    def _name_not_blank(self, value: str, **_kwargs) -> None:
        if not value:
            raise ValidationError("Must be between 1 and 245 characters.")

    @validates("author_email")
    def _email(self, value: str, **_kwargs) -> None:
        if not _EMAIL.match(value) or ".." in value:
            raise ValidationError(MSG_EMAIL)

    @validates("permalink")
    def _permalink(self, value: str | None, **_kwargs) -> None:
        if value is None:
            return
        if origin_of(value) not in self.allowed_origins:
            raise ValidationError(MSG_ORIGIN)


# WordPress comment form names, so a site can point its existing form at Mizan.
WORDPRESS_FIELDS = {
    "author": "author_name",
    "email": "author_email",
    "url": "author_url",
    "comment": "body",
    "comment_post_ID": "post_id",
    "comment_parent": "parent_id",
}


class AcceptedOut(Schema):
    id = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    status_url = fields.String(dump_only=True)
