"""Reader reports: POST /api/v1/comments/<id>/reports (JSON, or a plain HTML form)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Blueprint, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from mizan.service.desk.auth import desk
from mizan.service.desk.usecase import REPORT_REASONS
from mizan.service.errors import BadRequest, Unsupported, ValidationFailed
from mizan.service.http.payload import parse_json
from mizan.service.http.requests import check_origin, client_ip, cors, read_body
from mizan.service.intake import Text

bp = Blueprint("reports", __name__)

MSG_FIELDS = "The report could not be accepted: see the fields."


class ReportIn(Schema):
    """A reader's report of a published comment."""

    class Meta:
        unknown = RAISE

    reason = fields.String(
        required=True,
        validate=validate.OneOf(
            REPORT_REASONS, error=f"Must be one of: {', '.join(REPORT_REASONS)}."
        ),
        error_messages={"required": "Missing data for required field."},
    )
    note = Text(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=500, error="Must be at most 500 characters."),
    )


class ReportAcceptedOut(Schema):
    status = fields.String(dump_only=True)


@bp.post("/api/v1/comments/<comment_id>/reports", provide_automatic_options=False)
def report(comment_id: str):
    form = request.mimetype == "application/x-www-form-urlencoded"
    check_origin(form=form)
    raw = read_body()
    try:
        if request.mimetype == "application/json":
            data = parse_json(raw.decode("utf-8"))
        elif form:
            data = dict(parse_qsl(raw.decode("ascii"), keep_blank_values=False, max_num_fields=10))
            data = {k: v for k, v in data.items() if k in ("reason", "note")}
        else:
            raise Unsupported("Unsupported content type.")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    try:
        loaded = ReportIn().load(data)
    except ValidationError as exc:
        raise ValidationFailed(MSG_FIELDS, fields=exc.normalized_messages()) from None
    desk().report(comment_id, loaded["reason"], loaded["note"] or None, client_ip())
    resp = jsonify(ReportAcceptedOut().dump({"status": "received"}))
    resp.status_code = 202
    resp.headers["Cache-Control"] = "no-store"
    return cors(resp)
