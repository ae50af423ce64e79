"""The OpenAPI 3 contract, generated from the marshmallow schemas: /api/openapi.json and /api/docs.

Endpoints are described next to the code that serves them with `document(...)`, called at import
time of their module; request and response bodies are marshmallow schemas (apispec turns them
into JSON Schema), and the shared error body is added for every status listed in ``errors``.
For example, a moderation endpoint::

    from mizan.service.http.openapi import document

    document("/api/v1/moderation/comments/{comment_id}/actions", "post",
             summary="Approve, hold, reject or mark a comment as spam.",
             tags=["moderation"], security=["moderatorToken", "deskSession"],
             parameters=[path_param("comment_id")],
             body=ActionIn, responses={200: ActionOut}, errors=(400, 401, 403, 404, 409, 422))

The public endpoints (intake, publishing, reports) and the ops endpoints are described at the
bottom of this module, because their modules predate it. tests/ops/test_openapi.py fails when
a route is served but not documented, and schemathesis checks the answers against this document.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify
from marshmallow import Schema, fields

bp = Blueprint("openapi", __name__)

TITLE = "Mizan comment moderation API"
OPENAPI_VERSION = "3.0.3"
# What the public write endpoints (comments, reader reports) may answer besides success.
INTAKE_ERRORS = (400, 403, 404, 405, 409, 413, 415, 422, 429, 503)
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}


# --- the shared bodies ------------------------------------------------------------------------


class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"description": "Stable machine-readable code."})
    message = fields.String(
        required=True,
        metadata={
            "description": "Human-readable message, in Arabic when Accept-Language prefers it."
        },
    )
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "Per-field messages (validation errors)."},
    )


class ErrorOut(Schema):
    """Every error: {"error": {"code", "message", "fields"?}}."""

    error = fields.Nested(ErrorBody, required=True)


@dataclass
class _Operation:
    path: str
    method: str
    spec: dict = field(default_factory=dict)


_registry: dict[tuple[str, str], _Operation] = {}


def path_param(name: str, description: str = "", schema: dict | None = None) -> dict:
    """A required path parameter (string unless `schema` says otherwise)."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def query_param(
    name: str, description: str = "", schema: dict | None = None, required: bool = False
) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def schema_ref(schema: Any) -> Any:
    return schema() if isinstance(schema, type) and issubclass(schema, Schema) else schema


def _response(status: int | str, value: Any) -> dict:
    phrase = HTTPStatus(int(status)).phrase if str(status).isdigit() else "Response"
    if value is None:
        return {"description": phrase}
    if isinstance(value, dict):
        return {"description": phrase, **value}
    if isinstance(value, tuple):  # (schema, description)
        schema, description = value
        return {
            "description": description,
            "content": {"application/json": {"schema": schema_ref(schema)}},
        }
    return {"description": phrase, "content": {"application/json": {"schema": schema_ref(value)}}}


def document(
    path: str,
    method: str,
    *,
    summary: str,
    tags: Sequence[str] = (),
    description: str | None = None,
    parameters: Sequence[dict] = (),
    body: Any = None,
    body_types: Sequence[str] = ("application/json",),
    body_required: bool = True,
    responses: Mapping[int | str, Any] | None = None,
    errors: Sequence[int] = (),
    security: Sequence[str] | None = None,
    operation_id: str | None = None,
) -> None:
    """Describe one operation (path in OpenAPI form, e.g. /api/v1/comments/{comment_id}).

    body: a marshmallow Schema (class or instance) or a raw JSON Schema dict, sent as each of
    `body_types`. responses: status -> Schema, (Schema, description), raw response dict, or None
    (no body). errors: statuses answered with the shared error body (Retry-After on 429/503).
    security: names of security schemes (any one of them is enough).
    """
    op: dict[str, Any] = {
        "summary": summary,
        "tags": list(tags),
        "operationId": operation_id or default_operation_id(method, path),
        "responses": {},
    }
    if description:
        op["description"] = description
    if parameters:
        op["parameters"] = list(parameters)
    if body is not None:
        op["requestBody"] = {
            "required": body_required,
            "content": {ct: {"schema": schema_ref(body)} for ct in body_types},
        }
    for status, value in (responses or {}).items():
        op["responses"][str(status)] = _response(status, value)
    if any(p.get("in") in ("path", "query") for p in parameters) and 422 not in errors:
        # Every route refuses control characters in its path or query up front
        # (service.api.errors.reject_control_characters).
        errors = (*errors, 422)
    for status in errors:
        resp = _response(status, ErrorOut)
        if status in (429, 503):
            resp["headers"] = dict(RETRY_AFTER)
        op["responses"].setdefault(str(status), resp)
    if security is not None:
        op["security"] = [{name: []} for name in security]
    _registry[(path, method.lower())] = _Operation(path, method.lower(), op)


def default_operation_id(method: str, path: str) -> str:
    words = [w.strip("{}") for w in path.strip("/").split("/") if w and w not in ("api", "v1")]
    return method.lower() + "_" + "_".join(w.replace("-", "_").replace(".", "_") for w in words)


def documented() -> set[tuple[str, str]]:
    """(path, method) of every documented operation."""
    return set(_registry)


def build_spec(app: Flask) -> dict:
    """The OpenAPI document as a dict (schemas resolved by apispec's marshmallow plugin)."""
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    spec = APISpec(
        title=TITLE,
        version=_version(),
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
        info={
            "description": "Comment intake, publishing, reader reports, moderation "
            "and operations endpoints of Mizan. Errors always have "
            'the body {"error": {"code", "message", '
            '"fields"?}}. Every public field (author_name, body, author_url, ...) is plain '
            "text exactly as a reader typed it: escape it before putting it in a page, "
            'and link author_url only with rel="nofollow ugc noopener". Public times carry '
            "their time zone. Public API answers, errors included, carry CORS headers for "
            "the allowed site origins (Retry-After exposed)."
        },
    )
    spec.components.security_scheme(
        "moderatorToken",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "API token of a moderator (`mizan tokens create`).",
        },
    )
    spec.components.security_scheme(
        "metricsToken",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "MIZAN_METRICS_TOKEN (production mode; embedded may leave it unset).",
        },
    )
    spec.components.security_scheme(
        "deskSession",
        {
            "type": "apiKey",
            "in": "cookie",
            "name": app.config.get("SESSION_COOKIE_NAME", "session"),
            "description": "Session cookie of the moderation desk (web login).",
        },
    )
    spec.components.schema("Error", schema=ErrorOut)
    by_path: dict[str, dict] = {}
    for (path, method), op in sorted(_registry.items()):
        by_path.setdefault(path, {})[method] = op.spec
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    out = spec.to_dict()
    # Object-level constraints marshmallow cannot say (a schema's Meta.openapi, e.g.
    # minProperties), so the document is as strict as the validation behind it.
    for name, schema in out.get("components", {}).get("schemas", {}).items():
        schema.update(_schema_extras.get(name, {}))
    # Request bodies: every string refuses NUL and lone surrogates (http/payload.py).
    schemas = out.get("components", {}).get("schemas", {})
    for name in _request_schemas(out):
        for prop in _string_properties(schemas.get(name, {})):
            if not {"enum", "pattern", "format"} & set(prop):
                prop["pattern"] = NO_NUL
    for refine in _refiners:
        refine(app, out)
    # Every route refuses control characters in its path and query (errors.py): say so.
    for operations in out["paths"].values():
        for op in operations.values():
            for param in op.get("parameters", ()):
                sch = param.get("schema", {})
                if (
                    param.get("in") in ("path", "query")
                    and sch.get("type") == "string"
                    and not {"enum", "pattern", "format"} & set(sch)
                ):
                    sch["pattern"] = NO_CONTROL_CHARACTERS
    return out


def _request_schemas(spec: dict) -> set[str]:
    names = set()
    for operations in spec["paths"].values():
        for op in operations.values():
            for media in op.get("requestBody", {}).get("content", {}).values():
                ref = media.get("schema", {}).get("$ref", "")
                if ref.startswith("#/components/schemas/"):
                    names.add(ref.rsplit("/", 1)[1])
    return names


def _string_properties(schema: dict) -> list[dict]:
    out = []
    for prop in schema.get("properties", {}).values():
        if prop.get("type") == "array" and isinstance(prop.get("items"), dict):
            prop = prop["items"]
        if prop.get("type") == "string":
            out.append(prop)
    return out


_refiners: list = []


def refine(fn):
    """Register fn(app, spec), run on the built document: constraints that depend on settings."""
    _refiners.append(fn)
    return fn


# Body strings: NUL and lone surrogates are refused everywhere (service/http/payload.py). Only
# NUL is in the pattern: a surrogate range is no valid character class for most regex engines
# (schemathesis' among them, which then ignores the whole pattern), and no encoder makes one.
NO_NUL = "^[^\\x00]*$"
# The path and query characters every route accepts (service/http/errors.py refuses the rest).
NO_CONTROL_CHARACTERS = "^[^\\x00-\\x1f\\x7f]*$"


_schema_extras: dict[str, dict] = {}


def _schema_name(schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__
    name = name[:-6] if name.endswith("Schema") and len(name) > 6 else name
    extra = getattr(getattr(cls, "Meta", None), "openapi", None)
    if extra:
        _schema_extras[name] = dict(extra)
    return name


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("mizan")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


def _cached_spec() -> dict:
    spec = current_app.extensions.get("mizan.openapi")
    if spec is None:
        spec = current_app.extensions["mizan.openapi"] = build_spec(current_app)
    return spec


@bp.get("/api/openapi.json")
def openapi_json():
    resp = jsonify(_cached_spec())
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


@bp.get("/api/docs")
def docs_page():
    return Response(
        render_docs(_cached_spec()),
        mimetype="text/html",
        headers={"Cache-Control": "public, max-age=300"},
    )


# --- the human-readable page ------------------------------------------------------------------

_CSS = """body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1d1d1f}h1{font-size:1.6rem}h2{border-bottom:1px solid #ddd;margin-top:2.5rem}
.op{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}
.m{font:bold 13px monospace;padding:2px 6px;border-radius:4px;color:#fff;background:#555}
.get{background:#2b6cb0}.post{background:#2f855a}.put,.patch{background:#b7791f}
.delete{background:#c53030}.options{background:#6b46c1}code{background:#f4f4f4;padding:0 3px}
table{border-collapse:collapse;margin:.3rem 0}td,th{border:1px solid #e2e2e2;padding:2px 8px;
text-align:left;vertical-align:top;font-size:14px}.lock{color:#b7791f}"""


def _type_of(schema: dict, components: dict) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f'<a href="#schema-{html.escape(name)}">{html.escape(name)}</a>'
    if schema.get("type") == "array":
        return "array of " + _type_of(schema.get("items", {}), components)
    if "oneOf" in schema:
        return " or ".join(_type_of(s, components) for s in schema["oneOf"])
    text = str(schema.get("type", "any"))
    if schema.get("format"):
        text += f" ({schema['format']})"
    if schema.get("nullable"):
        text += ", nullable"
    limits = [
        f"{k} {schema[k]}" for k in ("minLength", "maxLength", "minimum", "maximum") if k in schema
    ]
    if "enum" in schema:
        limits.append("one of " + ", ".join(map(str, schema["enum"])))
    return html.escape(text + (f"; {', '.join(limits)}" if limits else ""))


def _props_table(schema: dict, components: dict) -> str:
    props = schema.get("properties") or {}
    if not props:
        return ""
    required = set(schema.get("required", []))
    rows = "".join(
        f"<tr><td><code>{html.escape(n)}</code>{' *' if n in required else ''}</td>"
        f"<td>{_type_of(p, components)}</td>"
        f"<td>{html.escape(str(p.get('description', '')))}</td></tr>"
        for n, p in props.items()
    )
    return f"<table><tr><th>field</th><th>type</th><th>notes</th></tr>{rows}</table>"


def render_docs(spec: dict) -> str:
    """A self-contained page (no scripts, no external assets) listing every operation."""
    components = spec.get("components", {}).get("schemas", {})
    by_tag: dict[str, list] = {}
    for path, ops in spec.get("paths", {}).items():
        for method, op in ops.items():
            by_tag.setdefault((op.get("tags") or ["other"])[0], []).append((path, method, op))
    parts = [
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{TITLE}</title>"
        f"<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<style>{_CSS}</style></head><body><h1>{TITLE}</h1>"
        f"<p>{html.escape(spec['info'].get('description', ''))}</p>"
        f"<p>Version {html.escape(spec['info']['version'])}. Machine-readable: "
        f"<a href='/api/openapi.json'>/api/openapi.json</a> (OpenAPI "
        f"{html.escape(spec['openapi'])}). Fields marked * are required; "
        f"<span class=lock>&#128274;</span> needs a moderator token or desk session.</p>"
    ]
    for tag in sorted(by_tag):
        parts.append(f"<h2 id='tag-{html.escape(tag)}'>{html.escape(tag)}</h2>")
        for path, method, op in sorted(by_tag[tag]):
            lock = " <span class=lock>&#128274;</span>" if op.get("security") else ""
            parts.append(
                f"<div class=op><p><span class='m {method}'>{method.upper()}</span> "
                f"<code>{html.escape(path)}</code>{lock} — "
                f"{html.escape(op.get('summary', ''))}</p>"
            )
            if op.get("description"):
                parts.append(f"<p>{html.escape(op['description'])}</p>")
            params = op.get("parameters") or []
            if params:
                rows = "".join(
                    f"<tr><td><code>{html.escape(p['name'])}</code>"
                    f"{' *' if p.get('required') else ''}</td><td>{html.escape(p['in'])}</td>"
                    f"<td>{_type_of(p.get('schema', {}), components)}</td>"
                    f"<td>{html.escape(p.get('description', ''))}</td></tr>"
                    for p in params
                )
                parts.append(
                    "<table><tr><th>parameter</th><th>in</th><th>type</th>"
                    f"<th>notes</th></tr>{rows}</table>"
                )
            body = op.get("requestBody")
            if body:
                for ct, media in body["content"].items():
                    parts.append(
                        f"<p>Request body <code>{html.escape(ct)}</code>: "
                        f"{_type_of(media.get('schema', {}), components)}</p>"
                    )
            rows = []  # type: ignore[assignment]
            for status, resp in op.get("responses", {}).items():
                content = resp.get("content") or {}
                kinds = ", ".join(
                    f"<code>{html.escape(ct)}</code> {_type_of(m.get('schema', {}), components)}"
                    for ct, m in content.items()
                )
                rows.append(  # type: ignore[attr-defined]
                    f"<tr><td>{html.escape(status)}</td>"
                    f"<td>{html.escape(resp.get('description', ''))}</td><td>{kinds}</td>"
                    "</tr>"
                )
            parts.append(
                "<table><tr><th>status</th><th>meaning</th><th>body</th></tr>"
                + "".join(rows)
                + "</table></div>"
            )
    parts.append("<h2>Schemas</h2>")
    for name, schema in sorted(components.items()):
        parts.append(
            f"<h3 id='schema-{html.escape(name)}'>{html.escape(name)}</h3>"
            + _props_table(schema, components)
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


# --- the public and ops endpoints -------------------------------------------------------------


def _describe_ops() -> None:
    class HealthOut(Schema):
        status = fields.String(required=True)

    class ReadyOut(Schema):
        status = fields.String(required=True, metadata={"enum": ["ok", "unavailable"]})
        checks = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True)
        error = fields.Nested(ErrorBody)

    document(
        "/healthz",
        "get",
        tags=["ops"],
        summary="Liveness: the process answers.",
        responses={200: HealthOut},
        errors=(405,),
        operation_id="healthz",
    )
    document(
        "/readyz",
        "get",
        tags=["ops"],
        summary="Readiness: database, broker, model and a consuming worker, each with its latency.",
        responses={
            200: ReadyOut,
            503: {
                "description": "A dependency is down.",
                "headers": RETRY_AFTER,
                "content": {"application/json": {"schema": schema_ref(ReadyOut)}},
            },
        },
        errors=(405,),
        operation_id="readyz",
    )
    document(
        "/metrics",
        "get",
        tags=["ops"],
        summary="Prometheus metrics (text format).",
        description="With MIZAN_METRICS_TOKEN set, only with it as a bearer token (401 "
        "otherwise); in production mode without one, 403 to everyone.",
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
        errors=(401, 403, 405),
        security=["metricsToken"],
        operation_id="metrics",
    )
    document(
        "/api/openapi.json",
        "get",
        tags=["ops"],
        summary="This document.",
        responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
        errors=(405,),
        operation_id="openapi",
    )
    document(
        "/api/docs",
        "get",
        tags=["ops"],
        summary="This document as a web page.",
        responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
        errors=(405,),
        operation_id="docs",
    )


_describe_ops()

__all__ = [
    "document",
    "path_param",
    "query_param",
    "build_spec",
    "documented",
    "ErrorOut",
    "render_docs",
    "init_app",
]
