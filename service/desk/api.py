"""The moderation API (/api/v1/moderation/...): queue, actions, audit, bans, posts, word lists,
stats and model versions. Every request and response body is a marshmallow schema below."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from mizan.service.db import CURSOR_PATTERN
from mizan.service.desk.auth import desk, require_api
from mizan.service.desk.lists import DOMAIN_PATTERN
from mizan.service.desk.rights import ERASE_MODES
from mizan.service.desk.usecase import (
    ACTIONS,
    MSG_FIELDS,
    QUEUE_STATUSES,
    REJECT_REASONS,
    SORTS,
)
from mizan.service.errors import NotFound, ValidationFailed
from mizan.service.http.payload import strict_int
from mizan.service.http.requests import json_object
from mizan.service.policy import BAN_KINDS, WORD_LISTS

bp = Blueprint("moderation_api", __name__, url_prefix="/api/v1/moderation")


_REQ = {"required": "Missing data for required field.", "null": "Field may not be null."}
# The largest id a row can have: SQLite cannot even bind a larger integer (OverflowError).
_MAX_ID = 2**63 - 1


def _one_of(choices) -> validate.OneOf:
    return validate.OneOf(choices, error=f"Must be one of: {', '.join(choices)}.")


# --- request bodies and query strings ---------------------------------------------------------
class QueueQuery(Schema):
    class Meta:
        unknown = RAISE

    status = fields.String(load_default="held", validate=_one_of(QUEUE_STATUSES))
    post_id = fields.String(load_default=None, validate=validate.Length(max=200))
    q = fields.String(load_default=None, validate=validate.Length(max=200))
    sort = fields.String(load_default="oldest", validate=_one_of(SORTS))
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"pattern": CURSOR_PATTERN},
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))


class ActionIn(Schema):
    """One action on one comment."""

    class Meta:
        unknown = RAISE
        # A rejection needs its reason; the other actions take one optionally.
        openapi = {
            "anyOf": [
                {"properties": {"action": {"enum": [a for a in ACTIONS if a != "reject"]}}},
                {
                    "required": ["reason"],
                    "properties": {
                        "action": {"enum": ["reject"]},
                        "reason": {"type": "string", "enum": list(REJECT_REASONS)},
                    },
                },
            ]
        }

    action = fields.String(required=True, validate=_one_of(ACTIONS), error_messages=_REQ)  # type: ignore[arg-type]
    reason = fields.String(load_default=None, allow_none=True, validate=_one_of(REJECT_REASONS))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class BulkActionIn(ActionIn):
    """One action on many comments (each applied in its own transaction)."""

    ids = fields.List(
        fields.String(validate=validate.Length(1, 64)),
        required=True,
        validate=validate.Length(1, 200),
        error_messages=_REQ,  # type: ignore[arg-type]
    )


class ActionResultOut(Schema):
    id = fields.String()
    action = fields.String()
    ok = fields.Boolean()
    from_status = fields.String()
    status = fields.String()
    error = fields.Dict()


class BulkResultOut(Schema):
    results = fields.List(fields.Nested(ActionResultOut))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class AuthorOut(Schema):
    name = fields.String()
    url = fields.String(allow_none=True)
    email_masked = fields.String(allow_none=True)
    history = fields.Dict(keys=fields.String(), values=fields.Integer())


class SpanOut(Schema):
    start = fields.Integer()
    end = fields.Integer()
    code = fields.String()


class QueueCommentOut(Schema):
    id = fields.String()
    post_id = fields.String()
    permalink = fields.String(allow_none=True)
    # The article as the site named it (form fields, widget attributes, the Referer), if known.
    article_url = fields.String(allow_none=True)
    article_title = fields.String(allow_none=True)
    parent_id = fields.String(allow_none=True)
    section = fields.String(allow_none=True)
    status = fields.String()
    body = fields.String()
    created_at = fields.String()
    decided_at = fields.String(allow_none=True)
    author = fields.Nested(AuthorOut)
    scores = fields.Dict(keys=fields.String(), values=fields.Float())
    reasons = fields.List(fields.Dict())
    spans = fields.List(fields.Nested(SpanOut))
    decided_by = fields.String(allow_none=True)
    model_version = fields.String(allow_none=True)
    reports = fields.Dict()
    duplicate_group = fields.String(allow_none=True)


class CommentDetailOut(QueueCommentOut):
    decisions = fields.List(fields.Dict())
    reader_reports = fields.List(fields.Dict())
    audit = fields.List(fields.Dict())


class DuplicateGroupOut(Schema):
    id = fields.String()
    comment_ids = fields.List(fields.String())


class QueueOut(Schema):
    status = fields.String()
    comments = fields.List(fields.Nested(QueueCommentOut))
    duplicate_groups = fields.List(fields.Nested(DuplicateGroupOut))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    next_cursor = fields.String(allow_none=True)


class AuthorViewOut(Schema):
    comment_id = fields.String()
    author = fields.Nested(AuthorOut)
    comments = fields.List(fields.Nested(QueueCommentOut))
    waiting = fields.List(fields.String())


class RevealOut(Schema):
    id = fields.String()
    email = fields.String()


def _audit_cursor(value: str) -> None:
    """An audit cursor is an entry id: ASCII digits that fit a database integer."""
    if value and strict_int(value, 0, _MAX_ID) is None:
        raise ValidationError("Invalid cursor.")


class AuditQuery(Schema):
    class Meta:
        unknown = RAISE

    comment_id = fields.String(load_default=None, validate=validate.Length(max=64))
    actor_id = fields.Integer(load_default=None, validate=validate.Range(-_MAX_ID - 1, _MAX_ID))
    action = fields.String(load_default=None, validate=validate.Length(max=32))
    cursor = fields.String(
        load_default=None,
        validate=[validate.Length(max=20), _audit_cursor],
        metadata={"pattern": "^[0-9]{1,9}$"},
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class AuditEntryOut(Schema):
    id = fields.Integer()
    actor = fields.String()
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    comment_id = fields.String(allow_none=True)
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    detail = fields.Dict()
    request_id = fields.String(allow_none=True)
    created_at = fields.String()


class AuditOut(Schema):
    entries = fields.List(fields.Nested(AuditEntryOut))
    next_cursor = fields.String(allow_none=True)


_NO_VALUE = {"not": {"required": ["value"]}}
_NO_COMMENT = {"not": {"required": ["comment_id"]}}
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = rf"(?:{_OCTET}\.){{3}}{_OCTET}"


def _ban_by_value(kind: str, value: dict) -> dict:
    return {
        "required": ["value"],
        "properties": {"kind": {"enum": [kind]}, "value": {"type": "string", **value}},
        **_NO_COMMENT,
    }


class BanIn(Schema):
    """Ban by a comment's author (email, IP, or its /24 or /64 network) or by an explicit value."""

    class Meta:
        unknown = RAISE
        # Either comment_id or a value of the kind's shape (an IPv4 network here needs /8 or
        # longer; IPv6 networks are accepted too, /32 or longer).
        openapi = {
            "anyOf": [
                {
                    "required": ["comment_id"],
                    "properties": {"comment_id": {"type": "string"}},
                    **_NO_VALUE,
                },
                _ban_by_value("email", {"pattern": "^[^\\s@]*@[^\\s]*$"}),
                _ban_by_value("ip", {"format": "ipv4"}),
                _ban_by_value("ip", {"format": "ipv6"}),
                _ban_by_value("network", {"pattern": f"^{_IPV4}/(?:[89]|[12][0-9]|3[0-2])$"}),
            ]
        }

    kind = fields.String(required=True, validate=_one_of(BAN_KINDS), error_messages=_REQ)  # type: ignore[arg-type]
    comment_id = fields.String(load_default=None, validate=validate.Length(1, 64))
    value = fields.String(load_default=None, validate=validate.Length(1, 254))
    days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 3650))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class BanOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    network = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    comment_id = fields.String(allow_none=True)
    created_by = fields.String(allow_none=True)
    created_at = fields.String(allow_none=True)
    expires_at = fields.String(allow_none=True)


class JsonBoolean(fields.Boolean):
    """JSON true or false only (marshmallow would read 0, 1, "yes" and "off" as booleans)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class PostSettingsIn(Schema):
    """A missing field is left as it is; null or 0/1 are refused, as the contract says."""

    class Meta:
        unknown = RAISE
        # Merged into the OpenAPI schema (http/openapi.py): at least one field (else 422).
        openapi = {"minProperties": 1}

    comments_closed = JsonBoolean()
    premoderation = JsonBoolean()


class PostSettingsOut(Schema):
    post_id = fields.String()
    comments_closed = fields.Boolean()
    premoderation = fields.Boolean()


class WordTermIn(Schema):
    class Meta:
        unknown = RAISE
        # Each list has its own actions (WORD_LISTS); a missing action is the list's first.
        openapi = {
            "anyOf": [
                {"properties": {"list": {"enum": [name]}, "action": {"enum": [*actions, None]}}}
                for name, actions in WORD_LISTS.items()
            ]
        }

    term = fields.String(
        required=True,
        validate=validate.Length(1, 200),
        error_messages=_REQ,  # type: ignore[arg-type]
        # At least one letter or digit: the term is matched after folding, which drops the rest.
        metadata={"pattern": "^[^\\x00]*[^\\W_][^\\x00]*$"},
    )
    list = fields.String(required=True, validate=_one_of(tuple(WORD_LISTS)), error_messages=_REQ)  # type: ignore[arg-type]
    action = fields.String(load_default=None, validate=_one_of(("reject", "spam", "hold")))


class WordTermOut(Schema):
    id = fields.Integer()
    term = fields.String()
    list = fields.String()
    action = fields.String()
    created_by = fields.String(allow_none=True)
    created_at = fields.String(allow_none=True)


class DomainIn(Schema):
    """A domain to block; links to it or to its subdomains make a comment spam."""

    class Meta:
        unknown = RAISE

    domain = fields.String(
        required=True,
        validate=validate.Length(1, 253),
        error_messages=_REQ,  # type: ignore[arg-type]
        metadata={"pattern": DOMAIN_PATTERN},
    )


class DomainOut(Schema):
    id = fields.Integer()
    domain = fields.String()
    created_by = fields.String(allow_none=True)
    created_at = fields.String(allow_none=True)
    hits = fields.Integer(metadata={"description": "Comments it sent to spam in 30 days."})
    last_hit_at = fields.String(allow_none=True)


class ReaderIn(Schema):
    """One reader, by the email address they commented with."""

    class Meta:
        unknown = RAISE

    email = fields.String(
        required=True,
        validate=validate.Length(3, 254),
        error_messages=_REQ,  # type: ignore[arg-type]
        # One @, and no NUL (refused in every body, service/http/payload.py).
        metadata={"pattern": "^[^@\\x00]*@[^@\\x00]*$"},
    )


class EraseIn(ReaderIn):
    mode = fields.String(required=True, validate=_one_of(ERASE_MODES), error_messages=_REQ)  # type: ignore[arg-type]


class ReaderExportOut(Schema):
    email = fields.String()
    exported_at = fields.String()
    comments = fields.List(fields.Dict())
    bans = fields.List(fields.Dict())
    training_examples = fields.Integer()


class EraseOut(Schema):
    mode = fields.String()
    removed = fields.Integer(metadata={"description": "Comments kept as removed by request."})
    deleted = fields.Integer(metadata={"description": "Comments deleted."})


class StatsQuery(Schema):
    class Meta:
        unknown = RAISE

    days = fields.Integer(load_default=30, validate=validate.Range(1, 365))


class AgreementOut(Schema):
    reviewed = fields.Integer()
    agreed = fields.Integer()
    precision = fields.Float(allow_none=True)


class StatsRowOut(Schema):
    model_version = fields.String()
    day = fields.String()
    decisions = fields.Integer()
    outcomes = fields.Dict(keys=fields.String(), values=fields.Integer())
    reviewed = fields.Integer()
    moderator_outcomes = fields.Dict(keys=fields.String(), values=fields.Integer())
    held_resolved = fields.Dict(keys=fields.String(), values=fields.Integer())
    auto_approve = fields.Nested(AgreementOut)
    auto_spam = fields.Nested(AgreementOut)


class ModelStatsOut(StatsRowOut):
    """A row of StatsOut.models: one model version over the whole period (no day)."""

    class Meta:
        exclude = ("day",)


class StatsOut(Schema):
    since = fields.String()
    days = fields.List(fields.Nested(StatsRowOut))
    models = fields.List(fields.Nested(ModelStatsOut))
    active_model = fields.String(allow_none=True)


class ModelVersionOut(Schema):
    version = fields.String()
    source = fields.String()
    active = fields.Boolean()
    available = fields.Boolean()
    thresholds = fields.Dict()
    activated_at = fields.String(allow_none=True)
    activated_by = fields.String(allow_none=True)


class MeOut(Schema):
    id = fields.Integer()
    email = fields.String()
    role = fields.String()
    lang = fields.String()


# --- helpers ----------------------------------------------------------------------------------
def _load(schema: Schema, data) -> dict:
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed(MSG_FIELDS, fields=exc.normalized_messages()) from None


def _query(schema: Schema) -> dict:
    return _load(schema, request.args.to_dict())


def _body(schema: Schema) -> dict:
    return _load(schema, json_object())


def _json(schema: Schema, data, status: int = 200) -> Response:
    resp = jsonify(schema.dump(data))
    resp.status_code = status
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _rid() -> str | None:
    return request.environ.get("mizan.request_id")


def _actor():
    from mizan.service.desk.auth import current_actor

    return current_actor()


# --- endpoints --------------------------------------------------------------------------------
@bp.get("/me")
@require_api()
def me():
    a = _actor()
    return _json(MeOut(), {"id": a.id, "email": a.email, "role": a.role, "lang": a.lang})


@bp.get("/comments")
@require_api()
def queue():
    args = _query(QueueQuery())
    return _json(QueueOut(), desk().queue(**args))


@bp.get("/comments/<comment_id>")
@require_api()
def comment(comment_id: str):
    return _json(CommentDetailOut(), desk().comment_detail(comment_id))


@bp.post("/comments/<comment_id>/actions")
@require_api()
def act(comment_id: str):
    data = _body(ActionIn())
    result = desk().act(_actor(), comment_id, data["action"], data["reason"], data["note"], _rid())
    return _json(ActionResultOut(), {**result, "ok": True})


@bp.post("/actions")
@require_api()
def act_many():
    data = _body(BulkActionIn())
    results = desk().act_many(
        _actor(), data["ids"], data["action"], data["reason"], data["note"], _rid()
    )
    return _json(BulkResultOut(), {"results": results, "counts": desk().counts()})


@bp.get("/comments/<comment_id>/author")
@require_api()
def author(comment_id: str):
    return _json(AuthorViewOut(), desk().author(comment_id))


@bp.post("/comments/<comment_id>/author/approve")
@require_api()
def approve_author(comment_id: str):
    results = desk().approve_author(_actor(), comment_id, _rid())
    return _json(BulkResultOut(), {"results": results, "counts": desk().counts()})


@bp.post("/comments/<comment_id>/reveal")
@require_api()
def reveal(comment_id: str):
    return _json(
        RevealOut(), {"id": comment_id, "email": desk().reveal_email(_actor(), comment_id, _rid())}
    )


@bp.get("/audit")
@require_api()
def audit():
    return _json(AuditOut(), desk().audit(**_query(AuditQuery())))


@bp.get("/bans")
@require_api()
def bans():
    return _json(BanOut(many=True), desk().bans())


@bp.post("/bans")
@require_api()
def ban():
    data = _body(BanIn())
    return _json(
        BanOut(),
        desk().ban(
            _actor(),
            data["kind"],
            comment_id=data["comment_id"],
            value=data["value"],
            days=data["days"],
            note=data["note"],
            request_id=_rid(),
        ),
        201,
    )


@bp.delete("/bans/<int:ban_id>")
@require_api()
def lift_ban(ban_id: int):
    if ban_id > _MAX_ID:
        raise NotFound("Not found.")
    desk().lift_ban(_actor(), ban_id, _rid())
    return Response(status=204)


@bp.get("/posts/<post_id>")
@require_api()
def post_settings(post_id: str):
    return _json(PostSettingsOut(), desk().post_settings(post_id))


@bp.put("/posts/<post_id>")
@require_api()
def set_post_settings(post_id: str):
    if len(post_id) > 200:  # the column's limit, as at intake; PostgreSQL would refuse the row
        raise ValidationFailed(
            MSG_FIELDS, fields={"post_id": ["Must be between 1 and 200 characters."]}
        )
    data = _body(PostSettingsIn())
    return _json(
        PostSettingsOut(),
        desk().set_post(
            _actor(),
            post_id,
            request_id=_rid(),
            comments_closed=data.get("comments_closed"),
            premoderation=data.get("premoderation"),
        ),
    )


@bp.get("/wordlists")
@require_api()
def word_terms():
    return _json(WordTermOut(many=True), desk().word_terms())


@bp.post("/wordlists")
@require_api(admin=True)
def add_word_term():
    data = _body(WordTermIn())
    return _json(
        WordTermOut(),
        desk().add_term(_actor(), data["term"], data["list"], data["action"], _rid()),
        201,
    )


@bp.delete("/wordlists/<int:term_id>")
@require_api(admin=True)
def remove_word_term(term_id: int):
    if term_id > _MAX_ID:
        raise NotFound("Not found.")
    desk().remove_term(_actor(), term_id, _rid())
    return Response(status=204)


@bp.get("/domains")
@require_api()
def domains():
    return _json(DomainOut(many=True), desk().domains())


@bp.post("/domains")
@require_api(admin=True)
def add_domain():
    data = _body(DomainIn())
    return _json(DomainOut(), desk().add_domain(_actor(), data["domain"], _rid()), 201)


@bp.delete("/domains/<int:domain_id>")
@require_api(admin=True)
def remove_domain(domain_id: int):
    if domain_id > _MAX_ID:
        raise NotFound("Not found.")
    desk().remove_domain(_actor(), domain_id, _rid())
    return Response(status=204)


@bp.post("/readers/export")
@require_api(admin=True)
def export_reader():
    data = _body(ReaderIn())
    resp = _json(ReaderExportOut(), desk().export_reader(_actor(), data["email"], _rid()))
    resp.headers["Content-Disposition"] = 'attachment; filename="mizan-reader-data.json"'
    return resp


@bp.post("/readers/erase")
@require_api(admin=True)
def erase_reader():
    data = _body(EraseIn())
    return _json(EraseOut(), desk().erase_reader(_actor(), data["email"], data["mode"], _rid()))


@bp.get("/stats")
@require_api()
def stats():
    return _json(StatsOut(), desk().stats(**_query(StatsQuery())))


@bp.get("/models")
@require_api()
def models_list():
    from mizan.service import classifier as models_registry

    return _json(ModelVersionOut(many=True), models_registry.list_versions(desk()))


@bp.post("/models/<version>/activate")
@require_api(admin=True)
def models_activate(version: str):
    from mizan.service import classifier as models_registry

    models_registry.activate(desk(), version, _actor(), _rid())
    rows = [v for v in models_registry.list_versions(desk()) if v["version"] == version]
    return _json(ModelVersionOut(), rows[0])
